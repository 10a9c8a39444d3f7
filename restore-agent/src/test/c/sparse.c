// SPDX-License-Identifier: Apache-2.0
/*
 * Pages that hold no data must not be stored as data. A 256 KiB area (64 pages, 2 MiB aligned
 * so it shares no page table with other memory) has pages 0-7 written and page 3 dropped with
 * MADV_DONTNEED; the rest is never touched. Once write tracking has protected the area, the
 * kernel keeps userfaultfd markers in the empty entries, which page-table walks report as
 * "swapped". Reports the area's address; on SIGUSR1 checks the written pages hold their
 * pattern and every other page reads zero.
 */
#include "fixture.h"
#include <stdint.h>
#include <sys/mman.h>

#define PAGES 64
#define PAGE 4096
#define ALIGN (2L << 20)

int main(int argc, char **argv) {
    fx_init(argc, argv);
    /* executable too, so no neighbouring mapping merges with it */
    uint8_t *raw = mmap(0, 2 * ALIGN, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FX_CHECK(raw != MAP_FAILED, "mmap");
    uint8_t *p = (uint8_t *) (((uintptr_t) raw + ALIGN - 1) & ~(uintptr_t) (ALIGN - 1));
    /* leave only the area itself mapped: its own entry in /proc/PID/maps */
    if (p > raw) munmap(raw, (size_t) (p - raw));
    munmap(p + PAGES * PAGE, (size_t) (raw + 2 * ALIGN - (p + PAGES * PAGE)));
    for (long i = 0; i < 8; i++) memset(p + i * PAGE, (int) (0x40 + i), PAGE);
    FX_CHECK(madvise(p + 3 * PAGE, PAGE, MADV_DONTNEED) == 0, "madvise");
    fx_report("addr", "%ld\n", (long) (uintptr_t) p);
    fx_ready();
    while (!fx_go) pause();
    for (long i = 0; i < PAGES; i++) {
        int want = (i < 8 && i != 3) ? (int) (0x40 + i) : 0;
        for (long k = 0; k < PAGE; k++) {
            FX_CHECK(p[i * PAGE + k] == want, "page %ld byte %ld is %d, not %d", i, k, p[i * PAGE + k], want);
        }
    }
    fx_pass();
}
