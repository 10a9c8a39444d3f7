// SPDX-License-Identifier: Apache-2.0
/*
 * Attaches a SysV shared memory segment; started in an IPC namespace of its own, whose objects
 * the agent cannot see, capture must refuse and the process must run on (and its segment goes
 * when it exits).
 */
#include "fixture.h"
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    FX_CHECK(id >= 0, "shmget");
    char *m = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL); /* gone once detached: nothing left behind by the test */
    FX_CHECK(m != (void *) -1, "shmat");
    strcpy(m, "segment");
    fx_ready();
    fx_wait();
    FX_CHECK(strcmp(m, "segment") == 0, "segment content");
    fx_pass();
}
