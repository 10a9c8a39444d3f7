// SPDX-License-Identifier: Apache-2.0
/*
 * Descriptors: a regular file open read-write at an offset, an O_APPEND file, a directory fd
 * (openat through it still works), /dev/null, a close-on-exec flag, and stdout redirected to
 * a file that keeps its offset: lines written after restore follow those written before.
 */
#include "fixture.h"
#include <sys/stat.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    char buf[10000];
    for (int i = 0; i < (int) sizeof buf; i++) buf[i] = (char) ('a' + i % 26);

    int data = open(fx_path("data.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    FX_CHECK(write(data, buf, sizeof buf) == sizeof buf, "write data");
    FX_CHECK(lseek(data, 1234, SEEK_SET) == 1234, "lseek");

    int app = open(fx_path("append.log"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    FX_CHECK(write(app, "before\n", 7) == 7, "write append");

    int dir = open(fx_dir, O_RDONLY | O_DIRECTORY);
    int null = open("/dev/null", O_WRONLY);
    FX_CHECK(data >= 0 && app >= 0 && dir >= 0 && null >= 0, "open");

    printf("line before checkpoint\n");
    fflush(stdout);
    off_t out_before = lseek(1, 0, SEEK_CUR);

    fx_ready();
    fx_wait();

    FX_CHECK(lseek(data, 0, SEEK_CUR) == 1234, "data offset %ld", (long) lseek(data, 0, SEEK_CUR));
    char got[16];
    FX_CHECK(read(data, got, 10) == 10 && memcmp(got, buf + 1234, 10) == 0, "data content at offset");
    FX_CHECK((fcntl(data, F_GETFL) & O_ACCMODE) == O_RDWR, "data access mode");
    FX_CHECK(write(data, "XY", 2) == 2, "data no longer writable: %s", strerror(errno));

    int fl = fcntl(app, F_GETFL);
    FX_CHECK(fl & O_APPEND, "O_APPEND lost: %#x", fl);
    FX_CHECK(fcntl(app, F_GETFD) & FD_CLOEXEC, "FD_CLOEXEC lost on the append fd");
    FX_CHECK(!(fcntl(data, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC appeared on the data fd");
    FX_CHECK(write(app, "after\n", 6) == 6, "append write");

    struct stat st;
    FX_CHECK(fstat(dir, &st) == 0 && S_ISDIR(st.st_mode), "dir fd is not a directory");
    int via = openat(dir, "data.bin", O_RDONLY);
    FX_CHECK(via >= 0, "openat through the dir fd: %s", strerror(errno));
    close(via);

    FX_CHECK(fstat(null, &st) == 0 && S_ISCHR(st.st_mode), "/dev/null fd is not a char device");
    FX_CHECK(write(null, "x", 1) == 1, "write /dev/null");

    FX_CHECK(lseek(1, 0, SEEK_CUR) == out_before, "stdout offset %ld, was %ld", (long) lseek(1, 0, SEEK_CUR),
             (long) out_before);
    printf("line after restore\n");
    fflush(stdout);
    fx_pass();
}
