// SPDX-License-Identifier: Apache-2.0
/*
 * Bench target: touches N MiB of anonymous memory with page-varied content, then sleeps in a
 * loop. On SIGUSR2 it rewrites P per mille of its pages (random ones, new random content) and
 * prints "drift <n>", for incremental-snapshot benchmarks. An optional third argument seeds the
 * random half, so that runs of a throughput benchmark store new chunks each time.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>

static volatile sig_atomic_t drift_requested;
static void on_usr2(int sig) { (void) sig; drift_requested = 1; }

static uint64_t x = 88172645463325252ull;
static uint64_t next(void) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; }

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 64;
    long permille = argc > 2 ? strtol(argv[2], 0, 10) : 10;
    size_t len = mib << 20;
    if (argc > 3) x ^= strtoull(argv[3], 0, 10) * 0x9E3779B97F4A7C15ull;
    uint8_t *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    for (size_t off = 0; off < len; off += 8) {
        /* half the bytes random, half structured: compresses about like real heaps */
        uint64_t v = (off & 8) ? next() : (off >> 12);
        memcpy(p + off, &v, 8);
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    printf("ready %zu\n", mib);
    fflush(stdout);
    size_t pages = len >> 12;
    long drifts = 0;
    volatile uint64_t counter = 0;
    for (;;) {
        if (drift_requested) {
            drift_requested = 0;
            size_t n = pages * permille / 1000;
            for (size_t i = 0; i < n; i++) {
                uint64_t *w = (uint64_t *) (p + (next() % pages) * 4096);
                for (int k = 0; k < 512; k += 2) { w[k] = next(); }
            }
            printf("drift %ld\n", ++drifts);
            fflush(stdout);
        }
        counter++;
        usleep(20000);
    }
}
