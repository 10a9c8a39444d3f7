// SPDX-License-Identifier: Apache-2.0
/*
 * Memory areas with settings beyond their protection, each its own area (mapped between
 * unmapped gaps so none merges with a neighbour), filled with a pattern:
 *   huge     4 MiB, 2 MiB aligned, MADV_HUGEPAGE
 *   nohuge   MADV_NOHUGEPAGE and MADV_DONTFORK
 *   wipe     MADV_WIPEONFORK and MADV_DONTDUMP
 *   locked   mlock
 *   onfault  mlock2(MLOCK_ONFAULT), half of it touched
 *   noreserve MAP_NORESERVE and MADV_RANDOM
 *   seq      MADV_SEQUENTIAL
 * Reports "name address length" per line in <dir>/areas. On SIGUSR1 checks every pattern,
 * that a forked child sees "wipe" zeroed and the rest as it is, and that "locked" is resident.
 */
#include "fixture.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define K64 (64L << 10)
#define ALIGN (2L << 20)

struct area { const char *name; uint8_t *p; long len; int seed; };
static struct area areas[8];
static int n;

static uint8_t *carve(long len, long align, int flags) {
    long span = len + align + 2 * ALIGN;
    uint8_t *raw = mmap(0, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
    FX_CHECK(raw != MAP_FAILED, "mmap");
    uint8_t *p = (uint8_t *) (((uintptr_t) raw + ALIGN + align - 1) & ~(uintptr_t) (align - 1));
    munmap(raw, (size_t) (p - raw));
    munmap(p + len, (size_t) (raw + span - (p + len)));
    return p;
}

static uint8_t *add(const char *name, long len, long align, int flags, int touch) {
    uint8_t *p = carve(len, align, flags);
    areas[n] = (struct area) {name, p, len, 0x21 + n};
    if (touch) {
        for (long i = 0; i < len; i++) p[i] = (uint8_t) (areas[n].seed + i / 4096);
    }
    n++;
    return p;
}

static int pattern_ok(struct area *a, long upto) {
    for (long i = 0; i < upto; i++) {
        if (a->p[i] != (uint8_t) (a->seed + i / 4096)) return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    uint8_t *huge = carve(4L << 20, ALIGN, 0);
    FX_CHECK(madvise(huge, 4L << 20, MADV_HUGEPAGE) == 0, "MADV_HUGEPAGE");
    areas[n] = (struct area) {"huge", huge, 4L << 20, 0x21 + n};
    for (long i = 0; i < areas[n].len; i++) huge[i] = (uint8_t) (areas[n].seed + i / 4096);
    n++;
    uint8_t *nohuge = add("nohuge", K64, 4096, 0, 0);
    FX_CHECK(madvise(nohuge, K64, MADV_NOHUGEPAGE) == 0 && madvise(nohuge, K64, MADV_DONTFORK) == 0, "nohuge");
    for (long i = 0; i < K64; i++) nohuge[i] = (uint8_t) (areas[n - 1].seed + i / 4096);
    uint8_t *wipe = add("wipe", K64, 4096, 0, 1);
    FX_CHECK(madvise(wipe, K64, MADV_WIPEONFORK) == 0 && madvise(wipe, K64, MADV_DONTDUMP) == 0, "wipe");
    uint8_t *locked = add("locked", K64, 4096, 0, 1);
    FX_CHECK(mlock(locked, K64) == 0, "mlock");
    uint8_t *onfault = add("onfault", K64, 4096, 0, 0);
    FX_CHECK(syscall(SYS_mlock2, onfault, K64, 1 /* MLOCK_ONFAULT */) == 0, "mlock2");
    for (long i = 0; i < K64 / 2; i++) onfault[i] = (uint8_t) (areas[n - 1].seed + i / 4096);
    uint8_t *noreserve = add("noreserve", K64, 4096, MAP_NORESERVE, 1);
    FX_CHECK(madvise(noreserve, K64, MADV_RANDOM) == 0, "MADV_RANDOM");
    uint8_t *seq = add("seq", K64, 4096, 0, 1);
    FX_CHECK(madvise(seq, K64, MADV_SEQUENTIAL) == 0, "MADV_SEQUENTIAL");

    char text[2048];
    int len = 0;
    for (int i = 0; i < n; i++) {
        len += snprintf(text + len, sizeof text - len, "%s %lx %ld\n", areas[i].name,
                        (unsigned long) (uintptr_t) areas[i].p, areas[i].len);
    }
    fx_write_file("areas", text);
    fx_ready();
    while (!fx_go) pause();

    for (int i = 0; i < n; i++) {
        long upto = strcmp(areas[i].name, "onfault") == 0 ? areas[i].len / 2 : areas[i].len;
        FX_CHECK(pattern_ok(&areas[i], upto), "area %s lost its contents", areas[i].name);
    }
    unsigned char vec[16];
    FX_CHECK(mincore(locked, K64, vec) == 0, "mincore");
    for (int i = 0; i < 16; i++) FX_CHECK(vec[i] & 1, "locked page %d is not resident", i);
    pid_t c = fork();
    FX_CHECK(c >= 0, "fork");
    if (c == 0) {
        for (long i = 0; i < K64; i++) if (wipe[i] != 0) _exit(3);
        _exit(pattern_ok(&areas[3], K64) ? 0 : 4); /* "locked": inherited as it is */
    }
    int st = 0;
    FX_CHECK(waitpid(c, &st, 0) == c, "waitpid");
    FX_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child saw wipe-on-fork memory or lost inherited memory (%d)", st);
    FX_CHECK(pattern_ok(&areas[2], K64), "the parent's wipe-on-fork area changed");
    fx_pass();
}
