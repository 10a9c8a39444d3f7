// SPDX-License-Identifier: Apache-2.0
/*
 * An unusual address-space layout: a shared writable file mapping (its changes reach the file,
 * before and after restore), a shared read-only one, 300 small areas with alternating
 * protections, and areas at a very low and a very high fixed address.
 */
#include "fixture.h"
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096
#define N_SMALL 300
#define LOW_ADDR ((void *) 0x10000)
#define HIGH_ADDR ((void *) 0x7ff000000000)

static char *perms_of(void *addr) {
    static char perms[8];
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned long lo, hi;
    strcpy(perms, "none");
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo <= (unsigned long) addr
                && (unsigned long) addr < hi) break;
        strcpy(perms, "none");
    }
    if (f) fclose(f);
    return perms;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int fd = open(fx_path("shared.dat"), O_RDWR | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(ftruncate(fd, 2 * PAGE) == 0, "ftruncate");
    char *rw = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *ro = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    FX_CHECK(rw != MAP_FAILED && ro != MAP_FAILED, "mmap shared file");
    strcpy(rw, "written before");

    char *small[N_SMALL];
    char *base = mmap(NULL, (size_t) N_SMALL * 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    FX_CHECK(base != MAP_FAILED, "reserve");
    for (int i = 0; i < N_SMALL; i++) {
        small[i] = base + (size_t) i * 2 * PAGE;
        FX_CHECK(mprotect(small[i], PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect %d", i);
        small[i][0] = (char) i;
        small[i][PAGE - 1] = (char) (i * 7);
        if (i % 2) FX_CHECK(mprotect(small[i], PAGE, PROT_READ) == 0, "mprotect ro %d", i);
    }

    char *low = mmap(LOW_ADDR, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    FX_CHECK(low == LOW_ADDR, "mmap low: %p %s", low, strerror(errno));
    strcpy(low, "low");
    char *high = mmap(HIGH_ADDR, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    FX_CHECK(high == HIGH_ADDR, "mmap high: %p %s", high, strerror(errno));
    strcpy(high, "high");

    fx_ready();
    fx_wait();

    FX_CHECK(strcmp(rw, "written before") == 0, "shared rw content: %s", rw);
    FX_CHECK(strcmp(ro, "written before") == 0, "shared ro content: %s", ro);
    FX_CHECK(strcmp(perms_of(rw), "rw-s") == 0, "shared rw perms %s", perms_of(rw));
    FX_CHECK(strcmp(perms_of(ro), "r--s") == 0, "shared ro perms %s", perms_of(ro));
    strcpy(rw + PAGE, "written after");
    FX_CHECK(strcmp(ro + PAGE, "written after") == 0, "the two shared mappings no longer share the file");
    FX_CHECK(msync(rw, 2 * PAGE, MS_SYNC) == 0, "msync");

    for (int i = 0; i < N_SMALL; i++) {
        FX_CHECK(small[i][0] == (char) i && small[i][PAGE - 1] == (char) (i * 7), "small area %d content", i);
        const char *want = i % 2 ? "r--p" : "rw-p";
        FX_CHECK(strcmp(perms_of(small[i]), want) == 0, "small area %d perms %s", i, perms_of(small[i]));
        FX_CHECK(strcmp(perms_of(small[i] + PAGE), "---p") == 0, "gap after area %d: %s", i, perms_of(small[i] + PAGE));
    }
    FX_CHECK(strcmp(low, "low") == 0, "low area content");
    FX_CHECK(strcmp(high, "high") == 0, "high area content");
    fx_pass();
}
