// SPDX-License-Identifier: Apache-2.0
/*
 * argv[2] MiB of memory full of random bytes (incompressible: a capture of it stores about as
 * many bytes as it has), then counts in <dir>/counter. SIGUSR1: checks its memory against the
 * generator and writes PASS or FAIL.
 */
#include "fixture.h"
#include <stdint.h>
#include <time.h>

static uint64_t next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 16;
    size_t n = (mib << 20) / 8;
    uint64_t *mem = malloc(n * 8);
    FX_CHECK(mem, "malloc");
    uint64_t s = 88172645463325252ULL;
    for (size_t i = 0; i < n; i++) mem[i] = next(&s);
    int fd = open(fx_path("counter"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(fd >= 0, "open counter");
    fx_ready();
    unsigned long count = 0;
    while (!fx_go) {
        count++;
        char text[32];
        int len = snprintf(text, sizeof text, "%020lu\n", count);
        pwrite(fd, text, len, 0);
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    s = 88172645463325252ULL;
    for (size_t i = 0; i < n; i++) {
        if (mem[i] != next(&s)) fx_fail("memory changed at word %zu", i);
    }
    fx_pass_with("%lu", count);
}
