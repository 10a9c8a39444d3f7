// SPDX-License-Identifier: Apache-2.0
/*
 * Files that exist only through descriptors: a sealed memfd with 100 KB and an offset, a file
 * deleted while open (offset kept), and a deleted file whose path another file has taken since
 * (which must be left alone). After restore each reads back its bytes, offsets and seals hold,
 * and the links still say memfd / deleted.
 */
#include "fixture.h"
#include <sys/mman.h>
#include <sys/stat.h>

#define N 100000

static void link_of(int fd, char *buf, size_t n) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    ssize_t k = readlink(p, buf, n - 1);
    buf[k < 0 ? 0 : k] = 0;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    static char pat[N];
    for (int i = 0; i < N; i++) pat[i] = (char) (i % 253);
    int m = memfd_create("cryostash-mem", MFD_ALLOW_SEALING);
    FX_CHECK(m >= 0 && write(m, pat, N) == N, "memfd");
    FX_CHECK(fcntl(m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0, "seals");
    lseek(m, 1234, SEEK_SET);

    int d = open(fx_path("gone.txt"), O_RDWR | O_CREAT, 0640);
    FX_CHECK(d >= 0 && write(d, "deleted but open", 16) == 16, "deleted");
    lseek(d, 5, SEEK_SET);
    unlink(fx_path("gone.txt"));

    int t = open(fx_path("taken"), O_RDWR | O_CREAT, 0600);
    FX_CHECK(t >= 0 && write(t, "old", 3) == 3, "taken");
    unlink(fx_path("taken"));
    fx_write_file("taken", "new file\n");

    fx_ready();
    fx_wait();
    char buf[64], lnk[512];
    static char back[N];
    FX_CHECK(lseek(m, 0, SEEK_CUR) == 1234, "memfd offset %ld", (long) lseek(m, 0, SEEK_CUR));
    FX_CHECK(pread(m, back, N, 0) == N && memcmp(back, pat, N) == 0, "memfd bytes");
    FX_CHECK(fcntl(m, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW), "seals %#x", fcntl(m, F_GET_SEALS));
    FX_CHECK(ftruncate(m, 10) == -1 && errno == EPERM, "shrink seal not enforced");
    link_of(m, lnk, sizeof lnk);
    FX_CHECK(strncmp(lnk, "/memfd:cryostash-mem", 20) == 0, "memfd link %s", lnk);

    FX_CHECK(lseek(d, 0, SEEK_CUR) == 5, "deleted file offset");
    FX_CHECK(read(d, buf, 11) == 11 && memcmp(buf, "ed but open", 11) == 0, "deleted file bytes");
    struct stat st;
    FX_CHECK(fstat(d, &st) == 0 && st.st_nlink == 0 && (st.st_mode & 0777) == 0640, "deleted file nlink %ld mode %o",
             (long) st.st_nlink, st.st_mode & 0777);
    link_of(d, lnk, sizeof lnk);
    FX_CHECK(strstr(lnk, "gone.txt (deleted)") != NULL, "deleted file link %s", lnk);
    FX_CHECK(write(d, "!", 1) == 1, "deleted file not writable");

    FX_CHECK(pread(t, buf, 3, 0) == 3 && memcmp(buf, "old", 3) == 0, "deleted file behind a taken path");
    fx_pass();
}
