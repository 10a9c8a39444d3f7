// SPDX-License-Identifier: Apache-2.0
/*
 * Memory of every kind: heap (small mallocs and a large mmap'd one), a 1 GiB sparse private
 * anonymous map with a few touched pages, the stack, .data/.bss/.rodata, a private file mapping
 * with copied-on-write pages, a shared anonymous map, a PROT_NONE guard page, a read-only area
 * with content; after restore malloc (brk) must keep working.
 */
#include "fixture.h"
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096
#define SPARSE_SIZE (1UL << 30)
#define SPARSE_TOUCHED 16
#define LARGE_SIZE (8UL << 20)
#define COW_PAGES 8

static unsigned data_global[1024] = {1, 2, 3};
static unsigned char bss_global[1 << 16];
static const char rodata_text[] = "read-only data survives a checkpoint";

static unsigned pat(unsigned long i, unsigned seed) { return (unsigned) (i * 2654435761u) ^ seed; }

static void fill(void *p, size_t len, unsigned seed) {
    unsigned *u = p;
    for (size_t i = 0; i < len / 4; i++) u[i] = pat(i, seed);
}

static long bad_word(const void *p, size_t len, unsigned seed) {
    const unsigned *u = p;
    for (size_t i = 0; i < len / 4; i++) if (u[i] != pat(i, seed)) return (long) i;
    return -1;
}

/* The permissions of the /proc/self/maps line containing addr, e.g. "---p". */
static const char *perms_of(void *addr) {
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

/* The /proc/self/pagemap entry of the page at addr. */
static uint64_t pagemap_of(void *addr) {
    int fd = open("/proc/self/pagemap", O_RDONLY);
    uint64_t e = 0;
    if (fd >= 0) { pread(fd, &e, 8, ((uintptr_t) addr / PAGE) * 8); close(fd); }
    return e;
}

static void check_stack(unsigned seed, unsigned char *outer, size_t len) {
    FX_CHECK(bad_word(outer, len, seed) < 0, "stack buffer changed at word %ld", bad_word(outer, len, seed));
}

int main(int argc, char **argv) {
    fx_init(argc, argv);

    /* heap */
    char *small[64];
    for (int i = 0; i < 64; i++) { small[i] = malloc(64 + i * 8); fill(small[i], 64 + i * 8, 100 + i); }
    char *large = malloc(LARGE_SIZE);
    fill(large, LARGE_SIZE, 7);
    void *brk_before = sbrk(0);

    /* sparse */
    char *sparse = mmap(NULL, SPARSE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    FX_CHECK(sparse != MAP_FAILED, "mmap sparse");
    for (int i = 0; i < SPARSE_TOUCHED; i++) fill(sparse + (size_t) i * (SPARSE_SIZE / SPARSE_TOUCHED), PAGE, 1000 + i);

    /* stack */
    unsigned char stackbuf[32768];
    fill(stackbuf, sizeof stackbuf, 55);

    /* globals */
    fill(data_global, sizeof data_global, 66);
    fill(bss_global, sizeof bss_global, 77);

    /* private file mapping, some pages copied on write */
    const char *cow_path = fx_path("cow.dat");
    int cfd = open(cow_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    char page[PAGE];
    for (int i = 0; i < COW_PAGES; i++) { fill(page, PAGE, 2000 + i); write(cfd, page, PAGE); }
    char *cow = mmap(NULL, COW_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, cfd, 0);
    close(cfd);
    FX_CHECK(cow != MAP_FAILED, "mmap cow");
    fill(cow + 1 * PAGE, PAGE, 3001);
    fill(cow + 5 * PAGE, PAGE, 3005);
    volatile char sink = cow[2 * PAGE] + cow[6 * PAGE]; /* clean pages, read in */
    (void) sink;

    /* shared anonymous */
    char *shared = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    FX_CHECK(shared != MAP_FAILED, "mmap shared");
    fill(shared, 4 * PAGE, 88);

    /* guard page between two read-write pages, with content underneath */
    char *guarded = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fill(guarded, 3 * PAGE, 99);
    FX_CHECK(mprotect(guarded + PAGE, PAGE, PROT_NONE) == 0, "mprotect guard");

    /* read-only area with content */
    char *ro = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fill(ro, 2 * PAGE, 111);
    FX_CHECK(mprotect(ro, 2 * PAGE, PROT_READ) == 0, "mprotect ro");

    fx_ready();
    fx_wait();

    for (int i = 0; i < 64; i++)
        FX_CHECK(bad_word(small[i], 64 + i * 8, 100 + i) < 0, "small malloc %d changed", i);
    FX_CHECK(bad_word(large, LARGE_SIZE, 7) < 0, "large malloc changed at word %ld", bad_word(large, LARGE_SIZE, 7));
    for (int i = 0; i < SPARSE_TOUCHED; i++)
        FX_CHECK(bad_word(sparse + (size_t) i * (SPARSE_SIZE / SPARSE_TOUCHED), PAGE, 1000 + i) < 0,
                 "sparse page %d changed", i);
    check_stack(55, stackbuf, sizeof stackbuf);
    FX_CHECK(bad_word(data_global, sizeof data_global, 66) < 0, ".data changed");
    FX_CHECK(bad_word(bss_global, sizeof bss_global, 77) < 0, ".bss changed");
    FX_CHECK(strcmp(rodata_text, "read-only data survives a checkpoint") == 0, ".rodata changed");
    FX_CHECK(strcmp(perms_of((void *) rodata_text), "r--p") == 0, ".rodata perms %s", perms_of((void *) rodata_text));

    for (int i = 0; i < COW_PAGES; i++) {
        unsigned seed = (i == 1 || i == 5) ? 3000 + i : 2000 + i;
        FX_CHECK(bad_word(cow + i * PAGE, PAGE, seed) < 0, "cow page %d changed", i);
    }
    FX_CHECK(strcmp(perms_of(cow), "rw-p") == 0, "cow perms %s", perms_of(cow));
    uint64_t clean = pagemap_of(cow + 2 * PAGE), dirty = pagemap_of(cow + 1 * PAGE);
    FX_CHECK((clean >> 63) & 1, "clean cow page not present: %llx", (unsigned long long) clean);
    FX_CHECK((clean >> 61) & 1, "clean cow page is no longer a file page: %llx", (unsigned long long) clean);
    FX_CHECK(!((dirty >> 61) & 1), "modified cow page is a file page again: %llx", (unsigned long long) dirty);

    FX_CHECK(bad_word(shared, 4 * PAGE, 88) < 0, "shared anonymous changed");
    FX_CHECK(strcmp(perms_of(shared), "rw-s") == 0, "shared perms %s", perms_of(shared));

    FX_CHECK(strcmp(perms_of(guarded + PAGE), "---p") == 0, "guard perms %s", perms_of(guarded + PAGE));
    FX_CHECK(strcmp(perms_of(guarded), "rw-p") == 0, "below guard perms %s", perms_of(guarded));
    FX_CHECK(mprotect(guarded + PAGE, PAGE, PROT_READ) == 0, "mprotect guard back");
    FX_CHECK(bad_word(guarded, 3 * PAGE, 99) < 0, "guarded area content changed");

    FX_CHECK(strcmp(perms_of(ro), "r--p") == 0, "read-only perms %s", perms_of(ro));
    FX_CHECK(bad_word(ro, 2 * PAGE, 111) < 0, "read-only content changed");

    /* malloc and brk keep working */
    FX_CHECK(sbrk(0) == brk_before, "brk moved from %p to %p", brk_before, sbrk(0));
    for (int i = 0; i < 1000; i++) {
        char *p = malloc(1000);
        FX_CHECK(p != NULL, "malloc after restore");
        memset(p, i, 1000);
    }
    char *grown = sbrk(1 << 20);
    FX_CHECK(grown != (void *) -1, "sbrk grow after restore: %s", strerror(errno));
    memset(grown, 1, 1 << 20);
    free(large);
    fx_pass();
}
