// SPDX-License-Identifier: Apache-2.0
/*
 * Makes children once restored: 256 MiB of patterned memory, then, on the first SIGUSR1, forty
 * children one after another — with fork (argv[2] "fork": each child checks a byte of every MiB
 * of its copy) or posix_spawn of /bin/true ("spawn": the child runs on the parent's memory
 * until it execs); on the next SIGUSR1 the parent checks all of its memory and reports.
 */
#include "fixture.h"
#include <spawn.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define SIZE (256UL << 20)

extern char **environ;

static unsigned char at(size_t i) { return (unsigned char) ((i * 2654435761u) >> 13); }

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int spawn = argc > 2 && strcmp(argv[2], "spawn") == 0;
    unsigned char *m = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FX_CHECK(m != MAP_FAILED, "mmap");
    for (size_t i = 0; i < SIZE; i++) {
        m[i] = at(i);
    }
    fx_ready();
    fx_wait();
    for (int n = 0; n < 40; n++) {
        pid_t child;
        if (spawn) {
            char *args[] = {"/bin/true", NULL};
            FX_CHECK(posix_spawn(&child, "/bin/true", NULL, NULL, args, environ) == 0, "posix_spawn");
        } else {
            child = fork();
            FX_CHECK(child >= 0, "fork");
            if (child == 0) {
                for (size_t i = 0; i < SIZE; i += 1 << 20) {
                    if (m[i] != at(i)) {
                        _exit(3);
                    }
                }
                _exit(0);
            }
        }
        int status;
        FX_CHECK(waitpid(child, &status, 0) == child, "waitpid");
        FX_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d of %d ended with status 0x%x", n, (int) child,
                 status);
    }
    fx_report("made", "40\n");
    fx_go = 0;
    fx_wait();
    for (size_t i = 0; i < SIZE; i++) {
        FX_CHECK(m[i] == at(i), "byte %zu", i);
    }
    fx_pass();
}
