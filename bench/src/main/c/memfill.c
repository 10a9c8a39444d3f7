// SPDX-License-Identifier: Apache-2.0
/*
 * Bench target for the user-level benchmark (CliBench): fills N MiB of anonymous memory, then
 * sleeps. Content kind "random" is incompressible (xorshift bytes); "text" compresses like
 * program data (about 4:1 with zstd-1: words from a small vocabulary with random numbers).
 * The content of every page is a function of the seed and the page number, so the program can
 * check all of its memory at any time: on SIGUSR1 it re-derives every page and prints
 * "verify ok <pages>" or "verify BAD page <n>" (stdout should be a file, appended to).
 *
 * Kind "walk" is "random" content and a program that keeps reading all of its memory, printing
 * "walk <seconds> <start, seconds since the epoch>" after each pass (lazy-restore benchmark).
 *
 * Usage: memfill <MiB> <random|text|walk> [seed]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include <time.h>

#define PAGE 4096

static volatile sig_atomic_t verify_requested;
static void on_usr1(int sig) { (void) sig; verify_requested = 1; }

static uint64_t seed;
static int text;

static uint64_t mix(uint64_t v) {
    v ^= v >> 33; v *= 0xff51afd7ed558ccdull; v ^= v >> 33; v *= 0xc4ceb9fe1a85ec53ull; v ^= v >> 33;
    return v;
}

static const char *words[] = {"alpha", "beta", "gamma", "delta", "epsilon", "request", "response",
                              "user", "session", "cache", "entry", "value", "key", "null", "true",
                              "false", "count", "index", "name", "id"};

/* Writes page n's content into out (PAGE bytes). */
static void page_content(uint64_t n, uint8_t *out) {
    uint64_t x = mix(seed ^ (n * 0x9E3779B97F4A7C15ull)) | 1;
    if (!text) {
        for (int i = 0; i < PAGE; i += 8) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            memcpy(out + i, &x, 8);
        }
        return;
    }
    int pos = 0;
    while (pos < PAGE) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        char item[48];
        int len = snprintf(item, sizeof item, "\"%s\":%u,", words[x % 20], (unsigned) ((x >> 8) % 1000));
        for (int k = 0; k < len && pos < PAGE; k++) {
            out[pos++] = (uint8_t) item[k];
        }
    }
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 64;
    text = argc > 2 && strcmp(argv[2], "text") == 0;
    int walk = argc > 2 && strcmp(argv[2], "walk") == 0;
    seed = argc > 3 ? strtoull(argv[3], 0, 10) : 1;
    size_t len = mib << 20;
    size_t pages = len / PAGE;
    uint8_t *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    for (size_t n = 0; n < pages; n++) {
        page_content(n, p + n * PAGE);
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    printf("ready %zu\n", mib);
    fflush(stdout);
    uint8_t want[PAGE];
    volatile uint64_t sink = 0;
    for (;;) {
        if (walk) {
            struct timespec a, b;
            clock_gettime(CLOCK_REALTIME, &a);
            uint64_t sum = 0;
            for (size_t off = 0; off < len; off += 64) {
                sum += *(uint64_t *) (p + off);
            }
            sink += sum;
            clock_gettime(CLOCK_REALTIME, &b);
            printf("walk %.6f %ld.%09ld\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9, (long) a.tv_sec,
                   a.tv_nsec);
            fflush(stdout);
        }
        if (verify_requested) {
            verify_requested = 0;
            size_t bad = pages;
            for (size_t n = 0; n < pages && bad == pages; n++) {
                page_content(n, want);
                if (memcmp(want, p + n * PAGE, PAGE) != 0) {
                    bad = n;
                }
            }
            if (bad == pages) {
                printf("verify ok %zu\n", pages);
            } else {
                printf("verify BAD page %zu\n", bad);
            }
            fflush(stdout);
        }
        if (!walk) {
            usleep(2000);
        }
    }
}
