// SPDX-License-Identifier: Apache-2.0
/*
 * A counter with a heap worth checking, for round trips through a store: it takes a random
 * token (so a freshly started copy cannot pass for the restored one), fills argv[2] MiB of
 * malloc'd heap plus a few hundred small blocks with a pattern derived from the token, and
 * writes "<token> <checksum>" to <dir>/heap. Then it counts, writing the count to
 * <dir>/counter every few milliseconds. SIGUSR1: it re-derives the pattern, compares every
 * byte, recomputes the checksum and writes "PASS <token> <checksum> <count>" (or FAIL:...).
 */
#include "fixture.h"
#include <stdint.h>
#include <sys/random.h>
#include <time.h>

#define SMALL_BLOCKS 300

static uint64_t token;

/* xorshift64*: fast, and runs of equal high bytes keep the heap moderately compressible. */
static uint64_t next(uint64_t *s) {
    *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static void fill(unsigned char *p, size_t len, uint64_t seed) {
    uint64_t s = seed | 1;
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t v = next(&s) & 0x0000ffff0000ffffULL; /* half the bytes zero */
        memcpy(p + i, &v, 8);
    }
}

static long first_bad(const unsigned char *p, size_t len, uint64_t seed) {
    uint64_t s = seed | 1;
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t v = next(&s) & 0x0000ffff0000ffffULL;
        if (memcmp(p + i, &v, 8) != 0) return (long) i;
    }
    return -1;
}

/* FNV-1a over 64-bit words. */
static uint64_t checksum(const unsigned char *p, size_t len, uint64_t h) {
    for (size_t i = 0; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        h = (h ^ v) * 1099511628211ULL;
    }
    return h;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    FX_CHECK(getrandom(&token, sizeof token, 0) == sizeof token, "getrandom");
    size_t big_len = (argc > 2 ? strtoul(argv[2], NULL, 10) : 16) << 20;
    unsigned char *big = malloc(big_len);
    FX_CHECK(big, "malloc %zu", big_len);
    fill(big, big_len, token);
    unsigned char *small[SMALL_BLOCKS];
    size_t small_len[SMALL_BLOCKS];
    uint64_t sum = checksum(big, big_len, 14695981039346656037ULL);
    for (int i = 0; i < SMALL_BLOCKS; i++) {
        small_len[i] = 64 + (size_t) i * 40;
        small[i] = malloc(small_len[i]);
        FX_CHECK(small[i], "malloc small %d", i);
        fill(small[i], small_len[i], token + (uint64_t) i + 1);
        sum = checksum(small[i], small_len[i], sum);
    }
    fx_report("heap", "%016llx %016llx\n", (unsigned long long) token, (unsigned long long) sum);

    int fd = open(fx_path("counter"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(fd >= 0, "open counter");
    fx_ready();
    volatile unsigned long count = 0;
    struct timespec last = {0, 0}, now;
    while (!fx_go) {
        count++;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec) > 5000000L) {
            char text[32];
            int n = snprintf(text, sizeof text, "%020lu\n", count);
            pwrite(fd, text, n, 0);
            last = now;
        }
    }
    long bad = first_bad(big, big_len, token);
    FX_CHECK(bad < 0, "heap buffer differs at byte %ld", bad);
    uint64_t again = checksum(big, big_len, 14695981039346656037ULL);
    for (int i = 0; i < SMALL_BLOCKS; i++) {
        bad = first_bad(small[i], small_len[i], token + (uint64_t) i + 1);
        FX_CHECK(bad < 0, "small block %d differs at byte %ld", i, bad);
        again = checksum(small[i], small_len[i], again);
    }
    fx_pass_with("%016llx %016llx %lu", (unsigned long long) token, (unsigned long long) again, count);
}
