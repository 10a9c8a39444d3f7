// SPDX-License-Identifier: Apache-2.0
/*
 * Standard output on a pipe to another process or on a terminal, both gone after a restore:
 * the restored process's output goes to the log file the restore names. Before the checkpoint
 * the program writes into the pipe it was started with (argv[2] "external") or the terminal
 * (argv[2] "tty"); after restore, a marker line must land in the log.
 */
#include "fixture.h"

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int tty = argc > 2 && strcmp(argv[2], "tty") == 0;
    if (tty) {
        FX_CHECK(isatty(1), "stdout is not a terminal");
    }
    printf("into the pipe or terminal before the checkpoint\n");
    fflush(stdout);
    fx_ready();
    fx_wait();
    FX_CHECK(!isatty(1), "stdout is still a terminal after restore");
    if (tty) {
        char c;
        ssize_t r = read(0, &c, 1);
        FX_CHECK(r == 0, "stdin (the lost terminal) does not read as end of file: %zd (%s)", r,
                 r < 0 ? strerror(errno) : "data");
    }
    printf("restored output goes to the log\n");
    FX_CHECK(fflush(stdout) == 0, "fflush: %s", strerror(errno));
    fx_pass();
}
