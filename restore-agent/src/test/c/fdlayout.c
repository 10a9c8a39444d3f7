// SPDX-License-Identifier: Apache-2.0
/*
 * Descriptors that restore makes in bulk, laid out the way a plan could get wrong: a pipe whose
 * ends sit swapped (write end one below its read end) with close-on-exec on one end only, gaps
 * in the numbers, a pipe of which only the write end is held, an eventfd far above the others,
 * a listening TCP socket with O_NONBLOCK and close-on-exec between them. After restore each must
 * be at its number with its flags, the gaps still closed.
 */
#include "fixture.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

static int closed(int fd) { return fcntl(fd, F_GETFD) == -1 && errno == EBADF; }

int main(int argc, char **argv) {
    fx_init(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    FX_CHECK(pipe(p) == 0, "pipe");
    /* swap: the write end takes the read end's number and the other way round */
    int tmp = dup(p[0]);
    FX_CHECK(tmp >= 0 && dup2(p[1], p[0]) == p[0] && dup2(tmp, p[1]) == p[1] && close(tmp) == 0, "swap");
    int swapped_w = p[0], swapped_r = p[1];
    FX_CHECK(fcntl(swapped_r, F_SETFD, FD_CLOEXEC) == 0, "cloexec on the read end");
    int gap = open("/dev/null", O_RDONLY); /* a number left free */
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    FX_CHECK(ls >= 0 && bind(ls, (struct sockaddr *) &a, len) == 0 && listen(ls, 8) == 0, "listener");
    FX_CHECK(getsockname(ls, (struct sockaddr *) &a, &len) == 0, "getsockname");
    int q[2];
    FX_CHECK(pipe(q) == 0 && close(q[0]) == 0, "a pipe held by its write end only");
    int e = eventfd(7, EFD_CLOEXEC);
    FX_CHECK(e >= 0 && dup2(e, 300) == 300 && close(e) == 0, "eventfd at 300");
    FX_CHECK(fcntl(300, F_SETFD, FD_CLOEXEC) == 0, "cloexec on 300");
    close(gap);
    fx_ready();
    fx_wait();

    FX_CHECK(closed(gap) && closed(e), "a gap was filled: %d %d", gap, e);
    FX_CHECK(write(swapped_w, "x", 1) == 1, "write end at %d: %s", swapped_w, strerror(errno));
    char c = 0;
    FX_CHECK(read(swapped_r, &c, 1) == 1 && c == 'x', "read end at %d", swapped_r);
    FX_CHECK(fcntl(swapped_r, F_GETFD) & FD_CLOEXEC, "read end lost FD_CLOEXEC");
    FX_CHECK(!(fcntl(swapped_w, F_GETFD) & FD_CLOEXEC), "write end gained FD_CLOEXEC");
    FX_CHECK((fcntl(swapped_r, F_GETFL) & O_ACCMODE) == O_RDONLY && (fcntl(swapped_w, F_GETFL) & O_ACCMODE) == O_WRONLY,
             "pipe ends swapped back");
    FX_CHECK(write(q[1], "y", 1) == -1 && errno == EPIPE, "write end without reader: %s", strerror(errno));
    int on = 0;
    socklen_t olen = sizeof on;
    FX_CHECK(getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) == 0 && on, "listener at %d not listening", ls);
    struct sockaddr_in now;
    len = sizeof now;
    FX_CHECK(getsockname(ls, (struct sockaddr *) &now, &len) == 0 && now.sin_port == a.sin_port, "listener port");
    FX_CHECK(fcntl(ls, F_GETFL) & O_NONBLOCK, "listener lost O_NONBLOCK");
    FX_CHECK(fcntl(ls, F_GETFD) & FD_CLOEXEC, "listener lost FD_CLOEXEC");
    uint64_t v = 0;
    FX_CHECK(read(300, &v, 8) == 8 && v == 7, "eventfd at 300 holds %llu", (unsigned long long) v);
    FX_CHECK(fcntl(300, F_GETFD) & FD_CLOEXEC, "eventfd lost FD_CLOEXEC");
    fx_pass();
}
