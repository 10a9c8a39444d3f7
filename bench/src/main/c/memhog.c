/* Bench target: touches N MiB of anonymous memory with page-varied content, then sleeps in a loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 64;
    size_t len = mib << 20;
    uint8_t *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    uint64_t x = 88172645463325252ull;
    for (size_t off = 0; off < len; off += 8) {
        /* half the bytes random, half structured: compresses about like real heaps */
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        uint64_t v = (off & 8) ? x : (off >> 12);
        memcpy(p + off, &v, 8);
    }
    printf("ready %zu\n", mib);
    fflush(stdout);
    volatile uint64_t counter = 0;
    for (;;) { counter++; usleep(100000); }
}
