/*
 * Maps <dir>/mapped.dat (written by the fixture: 4 pages of a pattern) privately and read-only
 * and checks, after restore, that the first page still reads the pattern.
 */
#include "fixture.h"
#include <sys/mman.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int fd = open(fx_path("mapped.dat"), O_RDWR | O_CREAT | O_TRUNC, 0666);
    char page[4096];
    for (int p = 0; p < 4; p++) {
        for (int i = 0; i < 4096; i++) page[i] = (char) (p * 31 + i);
        FX_CHECK(write(fd, page, sizeof page) == sizeof page, "write");
    }
    char *m = mmap(NULL, 4 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    FX_CHECK(m != MAP_FAILED, "mmap");
    fx_ready();
    fx_wait();
    for (int i = 0; i < 4096; i++) FX_CHECK(m[i] == (char) i, "mapped byte %d", i);
    fx_pass();
}
