// SPDX-License-Identifier: Apache-2.0
/*
 * Maps a memfd (a file that exists only in memory), which capture cannot save yet, and keeps
 * counting: capture must fail after the freeze, and the process must run on afterwards.
 */
#include "fixture.h"
#include <sys/mman.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int fd = memfd_create("cryostash-test", 0);
    FX_CHECK(fd >= 0 && ftruncate(fd, 4096) == 0, "memfd");
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    FX_CHECK(m != MAP_FAILED, "mmap memfd");
    strcpy(m, "in memory only");
    int out = open(fx_path("counter"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    unsigned long count = 0;
    fx_ready();
    while (!fx_go) {
        count++;
        if ((count & 0xfffff) == 0) {
            char text[32];
            int n = snprintf(text, sizeof text, "%020lu\n", count);
            pwrite(out, text, n, 0);
        }
    }
    FX_CHECK(strcmp(m, "in memory only") == 0, "memfd content");
    fx_pass();
}
