// SPDX-License-Identifier: Apache-2.0
/*
 * What a restored process does next: its stack grows by megabytes (the [stack] area must grow
 * down as it did before), it forks and waits for a child, spawns a program, and allocates
 * and frees big blocks (mmap) and small ones (brk).
 */
#include "fixture.h"
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>

extern char **environ;

static long deep(int depth) {
    volatile char frame[1024];
    frame[0] = (char) depth;
    frame[1023] = (char) (depth >> 8);
    if (depth == 0) return frame[0];
    return deep(depth - 1) + frame[0] + frame[1023];
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    long shallow = deep(10);
    fx_ready();
    fx_wait();

    /* about 3 MiB more stack than before the checkpoint */
    long r = deep(3000);
    FX_CHECK(r != 0 || r == 0, "deep recursion");
    FX_CHECK(deep(10) == shallow, "recursion result changed");

    pid_t child = fork();
    FX_CHECK(child >= 0, "fork: %s", strerror(errno));
    if (child == 0) _exit(7);
    int status = 0;
    FX_CHECK(waitpid(child, &status, 0) == child, "waitpid: %s", strerror(errno));
    FX_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7, "child status %#x", status);

    pid_t spawned;
    char *args[] = {"/bin/sh", "-c", "exit 3", NULL};
    FX_CHECK(posix_spawn(&spawned, "/bin/sh", NULL, NULL, args, environ) == 0, "posix_spawn");
    FX_CHECK(waitpid(spawned, &status, 0) == spawned && WEXITSTATUS(status) == 3, "spawned status %#x", status);

    char *big = malloc(64 << 20);
    FX_CHECK(big, "malloc 64 MiB");
    memset(big, 0x5a, 64 << 20);
    free(big);
    for (int i = 0; i < 10000; i++) free(malloc(100 + i % 1000));
    void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FX_CHECK(m != MAP_FAILED, "mmap after restore");
    FX_CHECK(munmap(m, 1 << 20) == 0, "munmap");
    fx_pass();
}
