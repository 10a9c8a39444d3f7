// SPDX-License-Identifier: Apache-2.0
/*
 * Standard output on a pipe to another process (a reader it starts, not its child), which is gone after a
 * checkpoint with --kill: the restored program's output goes to the restore's log. It prints a
 * line every 20 ms ("quiet" as argv[2]: never), so output keeps flowing through the restore.
 */
#include "fixture.h"
#include <sys/wait.h>
#include <time.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int quiet = argc > 2 && strcmp(argv[2], "quiet") == 0;
    int p[2];
    FX_CHECK(pipe(p) == 0, "pipe");
    pid_t middle = fork(); /* the reader is a grandchild, so the talker has no child of its own */
    FX_CHECK(middle >= 0, "fork");
    if (middle == 0) {
        if (fork() == 0) {
            close(p[1]);
            char b[4096];
            while (read(p[0], b, sizeof b) > 0) { }
        }
        _exit(0);
    }
    FX_CHECK(waitpid(middle, NULL, 0) == middle, "waitpid");
    close(p[0]);
    FX_CHECK(dup2(p[1], 1) == 1, "dup2");
    close(p[1]);
    fx_ready();
    unsigned long n = 0;
    while (!fx_go) {
        if (!quiet) {
            printf("tick %lu\n", n);
            fflush(stdout);
        }
        n++;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    fx_pass_with("%lu", n);
}
