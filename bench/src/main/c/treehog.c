// SPDX-License-Identifier: Apache-2.0
/*
 * Bench target for process trees: touches N MiB of anonymous memory (as memhog does, seeded
 * by its place in the tree so that no two processes hold the same pages), forks C children
 * that each touch their own N MiB, and sleeps in a loop with them. Prints "ready N C" once every
 * child has touched its memory. treehog <MiB each> <children>
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

static uint64_t x = 88172645463325252ull;
static uint64_t next(void) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; }

static void touch(size_t mib, unsigned seed) {
    size_t len = mib << 20;
    x ^= (uint64_t) (seed + 1) * 0x9E3779B97F4A7C15ull;
    uint8_t *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    for (size_t off = 0; off < len; off += 8) {
        uint64_t v = (off & 8) ? next() : (off >> 12) ^ seed;
        memcpy(p + off, &v, 8);
    }
}

static void idle(void) {
    struct timespec ts = {0, 10000000};
    for (;;) nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 32;
    int children = argc > 2 ? atoi(argv[2]) : 8;
    int ready[2];
    if (pipe(ready) != 0) { perror("pipe"); return 1; }
    for (int i = 0; i < children; i++) {
        pid_t c = fork();
        if (c < 0) { perror("fork"); return 1; }
        if (c == 0) {
            close(ready[0]);
            touch(mib, (unsigned) i + 1);
            if (write(ready[1], "r", 1) != 1) { _exit(1); }
            close(ready[1]);
            idle();
        }
    }
    close(ready[1]);
    touch(mib, 0);
    char b;
    for (int i = 0; i < children; i++) {
        if (read(ready[0], &b, 1) != 1) { fprintf(stderr, "a child died\n"); return 1; }
    }
    close(ready[0]);
    printf("ready %zu %d\n", mib, children);
    fflush(stdout);
    idle();
}
