// SPDX-License-Identifier: Apache-2.0
/*
 * Pipes and a FIFO to self with bytes in flight: a small message in a pipe of 128 KiB, 200 KB
 * of a pattern in a non-blocking pipe of 1 MiB, a duplicate of a write end, a pipe whose write
 * end was closed (its reader must see the bytes, then end of file), and a FIFO holding bytes.
 * After restore every byte must read back in order, nothing more, with flags and capacities.
 */
#include "fixture.h"
#include <sys/stat.h>

#define BIG 200000

static void read_exactly(int fd, char *buf, size_t n, const char *what) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        FX_CHECK(r > 0, "%s: read %zd after %zu of %zu bytes (%s)", what, r, got, n, r < 0 ? strerror(errno) : "eof");
        got += r;
    }
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int a[2], b[2], c[2];
    FX_CHECK(pipe(a) == 0 && pipe2(b, O_NONBLOCK) == 0 && pipe(c) == 0, "pipe");
    FX_CHECK(fcntl(a[1], F_SETPIPE_SZ, 128 * 1024) >= 128 * 1024, "F_SETPIPE_SZ a");
    FX_CHECK(fcntl(b[1], F_SETPIPE_SZ, 1024 * 1024) >= 1024 * 1024, "F_SETPIPE_SZ b");
    FX_CHECK(write(a[1], "hello pipe", 10) == 10, "write a");
    static char big[BIG];
    for (int i = 0; i < BIG; i++) big[i] = (char) (i * 7 + i / 251);
    for (int off = 0; off < BIG; off += 4000) { /* many small writes: many pipe buffers */
        int n = BIG - off < 4000 ? BIG - off : 4000;
        FX_CHECK(write(b[1], big + off, n) == n, "write b");
    }
    int dup_a = dup(a[1]);
    FX_CHECK(write(c[1], "tail", 4) == 4, "write c");
    close(c[1]);
    FX_CHECK(mkfifo(fx_path("fifo"), 0600) == 0, "mkfifo");
    int f = open(fx_path("fifo"), O_RDWR);
    FX_CHECK(f >= 0 && write(f, "through the fifo", 16) == 16, "fifo");

    fx_ready();
    fx_wait();

    char buf[64];
    read_exactly(a[0], buf, 10, "pipe a");
    FX_CHECK(memcmp(buf, "hello pipe", 10) == 0, "pipe a held %.10s", buf);
    FX_CHECK(fcntl(a[0], F_GETPIPE_SZ) >= 128 * 1024, "pipe a capacity %d", fcntl(a[0], F_GETPIPE_SZ));
    FX_CHECK(write(dup_a, "via dup", 7) == 7, "write through the duplicate: %s", strerror(errno));
    read_exactly(a[0], buf, 7, "pipe a after the dup's write");
    FX_CHECK(memcmp(buf, "via dup", 7) == 0, "duplicate writes elsewhere");

    FX_CHECK(fcntl(b[0], F_GETFL) & O_NONBLOCK, "pipe b lost O_NONBLOCK");
    FX_CHECK(fcntl(b[0], F_GETPIPE_SZ) >= 1024 * 1024, "pipe b capacity %d", fcntl(b[0], F_GETPIPE_SZ));
    static char back[BIG];
    read_exactly(b[0], back, BIG, "pipe b");
    FX_CHECK(memcmp(back, big, BIG) == 0, "pipe b bytes differ");
    FX_CHECK(read(b[0], buf, 1) == -1 && errno == EAGAIN, "pipe b holds more than was written");

    read_exactly(c[0], buf, 4, "pipe c");
    FX_CHECK(memcmp(buf, "tail", 4) == 0, "pipe c");
    FX_CHECK(read(c[0], buf, 1) == 0, "pipe c without writer does not end");

    struct stat st;
    FX_CHECK(fstat(f, &st) == 0 && S_ISFIFO(st.st_mode), "fifo is not a fifo");
    read_exactly(f, buf, 16, "fifo");
    FX_CHECK(memcmp(buf, "through the fifo", 16) == 0, "fifo bytes");
    fx_pass();
}
