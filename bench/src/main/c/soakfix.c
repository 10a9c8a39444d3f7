// SPDX-License-Identifier: Apache-2.0
/*
 * Soak target: a counter and N MiB of anonymous memory whose whole content is a function of the
 * counter, so that a restored copy can prove its memory is exactly what it was at the snapshot.
 * Step n (every ~10 ms) rewrites page n % pages (a ring, like a log buffer: a little memory changes
 * between snapshots, all of it within a few minutes) with half random, half structured words
 * derived from n, then sets the counter to n; a snapshot that freezes it mid-step is resumed
 * mid-step. It prints "tick <n>" every 100 steps. On SIGUSR1 it replays steps 1..counter into a
 * scratch area and compares it with its memory: "verify <counter> ok <pages>" or
 * "verify <counter> BAD page <i>".
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096
#define WORDS (PAGE / 8)

static volatile sig_atomic_t verify_requested;
static void on_usr1(int sig) { (void) sig; verify_requested = 1; }

/* splitmix64: the content of word k of the page written by step n */
static uint64_t mix(uint64_t n, uint64_t k) {
    uint64_t z = n * 0x9E3779B97F4A7C15ull + k * 0xBF58476D1CE4E5B9ull + 0x94D049BB133111EBull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* half the words random, half structured: compresses about like real heaps */
static void write_page(uint64_t *w, uint64_t n) {
    for (int k = 0; k < WORDS; k++) w[k] = (k & 1) ? mix(n, k) : (n << 16) | (uint64_t) k;
}

static void initial(uint8_t *p, size_t pages) {
    for (size_t i = 0; i < pages; i++) write_page((uint64_t *) (p + i * PAGE), ~(uint64_t) i);
}

static uint8_t *map(size_t len) {
    uint8_t *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    return p;
}

static void verify(const uint8_t *p, size_t pages, uint64_t counter) {
    size_t len = pages * PAGE;
    uint8_t *expect = map(len);
    initial(expect, pages);
    for (uint64_t n = 1; n <= counter; n++) write_page((uint64_t *) (expect + (n % pages) * PAGE), n);
    size_t bad = pages;
    for (size_t i = 0; i < pages && bad == pages; i++) {
        if (memcmp(p + i * PAGE, expect + i * PAGE, PAGE) != 0) bad = i;
    }
    munmap(expect, len);
    if (bad == pages) printf("verify %llu ok %zu\n", (unsigned long long) counter, pages);
    else printf("verify %llu BAD page %zu\n", (unsigned long long) counter, bad);
    fflush(stdout);
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 32;
    size_t pages = (mib << 20) / PAGE;
    uint8_t *p = map(pages * PAGE);
    initial(p, pages);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    printf("ready %zu\n", mib);
    fflush(stdout);
    volatile uint64_t counter = 0;
    struct timespec pause = {0, 10 * 1000 * 1000};
    for (;;) {
        if (verify_requested) {
            verify_requested = 0;
            verify(p, pages, counter);
        }
        uint64_t n = counter + 1;
        write_page((uint64_t *) (p + (n % pages) * PAGE), n);
        counter = n;
        if (n % 100 == 0) {
            printf("tick %llu\n", (unsigned long long) n);
            fflush(stdout);
        }
        nanosleep(&pause, NULL);
    }
}
