// SPDX-License-Identifier: Apache-2.0
/* Locks: flock (exclusive) on a, a POSIX write lock on bytes 10-29 of b, an OFD read lock on all of c. */
#include "fixture.h"
#include <sys/file.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int a = open(fx_path("a"), O_RDWR | O_CREAT, 0666);
    int b = open(fx_path("b"), O_RDWR | O_CREAT, 0666);
    int c = open(fx_path("c"), O_RDWR | O_CREAT, 0666);
    FX_CHECK(a >= 0 && b >= 0 && c >= 0, "open");
    FX_CHECK(flock(a, LOCK_EX | LOCK_NB) == 0, "flock");
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20};
    FX_CHECK(fcntl(b, F_SETLK, &fl) == 0, "posix lock");
    struct flock ofd = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    FX_CHECK(fcntl(c, F_OFD_SETLK, &ofd) == 0, "ofd lock: %s", strerror(errno));
    fx_ready();
    fx_wait();
    fx_pass();
}
