// SPDX-License-Identifier: Apache-2.0
/*
 * Pre-copy captures: a program that never stops writing. 64 MiB of pages; each step rewrites a
 * random page whole with a pattern of (page, step) and records the step in last[], or (one step
 * in 97) drops the page with MADV_DONTNEED and records that. Steps come in bursts of 16 with a
 * short sleep between, so a capture sees pages written before it, during its pre-copy pass and
 * not at all. On SIGUSR1 it checks that every page holds what last[] says: an image that kept a
 * page as the pre-copy pass read it, after the program wrote it again, fails here.
 */
#include "fixture.h"
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#define PAGES 16384
#define PAGE 4096
#define DROPPED (-1L)

static uint64_t x = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; }

static uint64_t word(long page, long step, int i) {
    return ((uint64_t) page * 0x9E3779B97F4A7C15ull) ^ ((uint64_t) step << 12) ^ (uint64_t) i;
}

static void fill(uint8_t *p, long page, long step) {
    uint64_t *w = (uint64_t *) (p + page * PAGE);
    for (int i = 0; i < PAGE / 8; i++) w[i] = word(page, step, i);
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    uint8_t *p = mmap(0, (size_t) PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FX_CHECK(p != MAP_FAILED, "mmap");
    static long last[PAGES];
    for (long i = 0; i < PAGES; i++) fill(p, i, 0);
    long step = 0;
    fx_report("steps", "%ld\n", step);
    fx_ready();
    struct timespec pause_between = {0, 200 * 1000};
    while (!fx_go) {
        for (int k = 0; k < 16; k++) {
            uint64_t r = next();
            long page = (long) (r % PAGES);
            step++;
            if ((r >> 40) % 97 == 0) {
                FX_CHECK(madvise(p + page * PAGE, PAGE, MADV_DONTNEED) == 0, "madvise");
                last[page] = DROPPED;
            } else {
                fill(p, page, step);
                last[page] = step;
            }
        }
        if ((step & 4095) < 16) fx_report("steps", "%ld\n", step);
        nanosleep(&pause_between, NULL);
    }
    for (long i = 0; i < PAGES; i++) {
        uint64_t *w = (uint64_t *) (p + i * PAGE);
        for (int k = 0; k < PAGE / 8; k++) {
            uint64_t want = last[i] == DROPPED ? 0 : word(i, last[i], k);
            FX_CHECK(w[k] == want, "page %ld word %d is %#llx, not %#llx (last step %ld)", i, k,
                     (unsigned long long) w[k], (unsigned long long) want, last[i]);
        }
    }
    fx_pass_with("pages=%d", PAGES);
}
