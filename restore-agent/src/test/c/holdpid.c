// SPDX-License-Identifier: Apache-2.0
/*
 * Takes a given pid: clone3 with set_tid makes a child with exactly that pid (needs root), which
 * waits for SIGUSR1 (the fixture protocol) while holding it. The parent exits at once after
 * writing "ready" with the child's pid.   holdpid <dir> <pid>
 */
#include "fixture.h"
#include <linux/sched.h>
#include <stdint.h>
#include <sys/syscall.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    pid_t want = (pid_t) atoi(argv[2]);
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    args.set_tid = (uint64_t) (uintptr_t) &want;
    args.set_tid_size = 1;
    long r = syscall(SYS_clone3, &args, sizeof args);
    if (r < 0) { fx_fail("clone3 with set_tid %d: %s", (int) want, strerror(errno)); }
    if (r == 0) {
        fx_wait();
        fx_pass();
    }
    fx_ready();
    return 0;
}
