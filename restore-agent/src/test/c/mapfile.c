// SPDX-License-Identifier: Apache-2.0
/*
 * Maps <dir>/mapped.dat, or <dir>/<argv[2]> (written by the fixture: 4 pages of a pattern)
 * privately and read-only and checks, after restore, that the first page still reads the
 * pattern. argv[2] may name a file in a subdirectory, e.g. with spaces in its path.
 */
#include "fixture.h"
#include <sys/mman.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    const char *name = argc > 2 ? argv[2] : "mapped.dat";
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", fx_dir, name);
    char *slash = strrchr(path, '/');
    *slash = 0;
    mkdir(path, 0777);
    *slash = '/';
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
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
