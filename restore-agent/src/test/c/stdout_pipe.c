/*
 * Standard output on a pipe (nobody can reopen it after a restore): the restored process's
 * output goes to the log file the restore names. Before the checkpoint the program writes
 * into the pipe (which it also holds the read end of); after restore, a marker line must land
 * in the log.
 */
#include "fixture.h"

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int p[2];
    FX_CHECK(pipe(p) == 0, "pipe");
    FX_CHECK(dup2(p[1], 1) == 1, "dup2");
    close(p[1]);
    printf("into the pipe before the checkpoint\n");
    fflush(stdout);
    fx_ready();
    fx_wait();
    printf("restored output goes to the log\n");
    FX_CHECK(fflush(stdout) == 0, "fflush: %s", strerror(errno));
    fx_pass();
}
