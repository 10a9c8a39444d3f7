// SPDX-License-Identifier: Apache-2.0
/*
 * Incremental captures: 64 MiB of pages, each holding its index and a generation. SIGUSR2
 * rewrites pages [100, 200) with the next generation and reports "generation"; SIGUSR1 checks
 * every page holds what it should (pages written in a later generation included) and ends.
 * A page in the middle is dropped with MADV_DONTNEED in generation 2, so an incremental image
 * must also notice pages that went away without being written.
 */
#include "fixture.h"
#include <stdint.h>
#include <sys/mman.h>

#define PAGES 16384
#define PAGE 4096
static volatile sig_atomic_t bump;
static void on_usr2(int sig) { (void) sig; bump = 1; }

static void fill(uint8_t *p, long page, long gen) {
    uint64_t *w = (uint64_t *) (p + page * PAGE);
    for (int i = 0; i < PAGE / 8; i++) w[i] = ((uint64_t) page << 32) ^ ((uint64_t) gen << 16) ^ (uint64_t) i;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    uint8_t *p = mmap(0, (size_t) PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FX_CHECK(p != MAP_FAILED, "mmap");
    static long gen_of[PAGES];
    for (long i = 0; i < PAGES; i++) fill(p, i, 0);
    long gen = 0;
    fx_report("generation", "%ld\n", gen);
    fx_ready();
    while (!fx_go) {
        if (bump) {
            bump = 0;
            gen++;
            for (long i = 100; i < 200; i++) { fill(p, i, gen); gen_of[i] = gen; }
            if (gen == 2) { madvise(p + 5000L * PAGE, PAGE, MADV_DONTNEED); gen_of[5000] = -1; }
            fx_report("generation", "%ld\n", gen);
        }
        pause();
    }
    for (long i = 0; i < PAGES; i++) {
        uint64_t *w = (uint64_t *) (p + i * PAGE);
        if (gen_of[i] < 0) { FX_CHECK(w[0] == 0 && w[PAGE / 8 - 1] == 0, "dropped page %ld is not zero", i); continue; }
        uint64_t want = ((uint64_t) i << 32) ^ ((uint64_t) gen_of[i] << 16);
        FX_CHECK(w[0] == want && w[PAGE / 8 - 1] == (want ^ (PAGE / 8 - 1)), "page %ld of generation %ld differs", i,
                 gen_of[i]);
    }
    fx_pass_with("generation=%ld", gen);
}
