// SPDX-License-Identifier: Apache-2.0
/* A parent that never reaps its child: <dir>/zombie holds the child's pid once it has exited. */
#include "fixture.h"
#include <sys/wait.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    pid_t child = fork();
    if (child == 0) _exit(0);
    siginfo_t si;
    waitid(P_PID, child, &si, WEXITED | WNOWAIT); /* exited, left unreaped */
    fx_report("zombie", "%d\n", (int) child);
    fx_ready();
    fx_wait();
    fx_pass();
}
