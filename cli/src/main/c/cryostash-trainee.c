// SPDX-License-Identifier: Apache-2.0
/*
 * cryostash-trainee: what `cryostash daemon` checkpoints and restores a few times when it
 * starts, so that the commands it then serves run compiled code (issue 14). Fills N MiB of
 * memory (half random, half text, as programs hold), writes "ready" to the file it is given
 * (and closes it: a trainee holds only descriptors 0-2, which the daemon points at /dev/null),
 * then waits for signals.
 *
 * Usage: cryostash-trainee MIB READY-FILE
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: cryostash-trainee MIB READY-FILE\n");
        return 2;
    }
    size_t n = (size_t) atoi(argv[1]) << 20;
    unsigned char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 1;
    uint64_t x = 0x9e3779b97f4a7c15u ^ (uint64_t) getpid();
    static const char *words[] = {"checkpoint ", "restore ", "memory ", "page ", "chunk ", "store ", "image "};
    size_t half = n / 2;
    for (size_t i = 0; i < half; i += 8) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        memcpy(m + i, &x, 8);
    }
    for (size_t i = half; i < n;) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        const char *w = words[x % 7];
        size_t l = strlen(w);
        if (i + l > n) break;
        memcpy(m + i, w, l);
        i += l;
    }
    FILE *f = fopen(argv[2], "w");
    if (!f) return 1;
    fputs("ready\n", f);
    fclose(f);
    for (;;) pause();
}
