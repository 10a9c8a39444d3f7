// SPDX-License-Identifier: Apache-2.0
/*
 * Unix sockets: a stream socketpair with bytes queued, a datagram socketpair with three
 * datagrams queued (non-blocking end), a stream listener at a path, a seqpacket listener at an
 * abstract name, a bound datagram socket holding a datagram, and a datagram socket connected
 * to it, and a stream socketpair end whose peer wrote "bye" and was closed (as the JDK keeps one
 * for NIO). After restore every queued byte and datagram reads back in order, the listeners
 * accept, the connected socket still reaches the bound one, and the end whose peer is gone reads
 * "bye", then end of file, and cannot send (EPIPE).
 */
#include "fixture.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <stddef.h>

static socklen_t addr_of(struct sockaddr_un *a, const char *path, int abstract) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    if (abstract) {
        a->sun_path[0] = 0;
        strcpy(a->sun_path + 1, path);
        return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(path);
    }
    strcpy(a->sun_path, path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int sp[2], dp[2];
    FX_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair stream");
    FX_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, dp) == 0, "socketpair dgram");
    FX_CHECK(write(sp[0], "ping", 4) == 4, "stream write");
    FX_CHECK(send(dp[0], "a", 1, 0) == 1 && send(dp[0], "bb", 2, 0) == 2 && send(dp[0], "ccc", 3, 0) == 3, "dgrams");
    fcntl(dp[1], F_SETFL, O_NONBLOCK);
    int gone[2];
    FX_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, gone) == 0, "socketpair whose peer goes");
    FX_CHECK(write(gone[1], "bye", 3) == 3 && close(gone[1]) == 0, "the peer's last words");

    struct sockaddr_un a;
    char path[200], dpath[200], abs_name[64];
    snprintf(path, sizeof path, "%s", fx_path("listen.sock"));
    snprintf(dpath, sizeof dpath, "%s", fx_path("dgram.sock"));
    snprintf(abs_name, sizeof abs_name, "cryostash-test-%d", (int) getpid());
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    socklen_t len = addr_of(&a, path, 0);
    FX_CHECK(bind(ls, (struct sockaddr *) &a, len) == 0 && listen(ls, 7) == 0, "listen path: %s", strerror(errno));
    int la = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    len = addr_of(&a, abs_name, 1);
    FX_CHECK(bind(la, (struct sockaddr *) &a, len) == 0 && listen(la, 3) == 0, "listen abstract");
    int bd = socket(AF_UNIX, SOCK_DGRAM, 0);
    len = addr_of(&a, dpath, 0);
    FX_CHECK(bind(bd, (struct sockaddr *) &a, len) == 0, "bind dgram");
    int cd = socket(AF_UNIX, SOCK_DGRAM, 0);
    FX_CHECK(connect(cd, (struct sockaddr *) &a, len) == 0, "connect dgram");
    FX_CHECK(send(cd, "hello", 5, 0) == 5, "send to bound");

    fx_ready();
    fx_wait();
    char buf[64];
    FX_CHECK(read(sp[1], buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0, "stream queue");
    FX_CHECK(write(sp[1], "pong", 4) == 4 && read(sp[0], buf, 4) == 4 && memcmp(buf, "pong", 4) == 0, "stream back");
    FX_CHECK(recv(dp[1], buf, sizeof buf, 0) == 1 && buf[0] == 'a', "dgram 1");
    FX_CHECK(recv(dp[1], buf, sizeof buf, 0) == 2 && memcmp(buf, "bb", 2) == 0, "dgram 2");
    FX_CHECK(recv(dp[1], buf, sizeof buf, 0) == 3 && memcmp(buf, "ccc", 3) == 0, "dgram 3");
    FX_CHECK(recv(dp[1], buf, sizeof buf, 0) == -1 && errno == EAGAIN, "dgram queue not empty or blocking");

    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    len = addr_of(&a, path, 0);
    FX_CHECK(connect(c, (struct sockaddr *) &a, len) == 0, "connect to the path listener: %s", strerror(errno));
    int s = accept(ls, NULL, NULL);
    FX_CHECK(s >= 0 && write(c, "x", 1) == 1 && read(s, buf, 1) == 1, "accept on the path listener");
    int c2 = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    len = addr_of(&a, abs_name, 1);
    FX_CHECK(connect(c2, (struct sockaddr *) &a, len) == 0, "connect to the abstract listener: %s", strerror(errno));
    FX_CHECK(accept(la, NULL, NULL) >= 0, "accept on the abstract listener");

    FX_CHECK(recv(bd, buf, sizeof buf, 0) == 5 && memcmp(buf, "hello", 5) == 0, "bound dgram queue");
    FX_CHECK(send(cd, "again", 5, 0) == 5 && recv(bd, buf, sizeof buf, 0) == 5 && memcmp(buf, "again", 5) == 0,
             "connected dgram no longer reaches the bound one");
    FX_CHECK(read(gone[0], buf, sizeof buf) == 3 && memcmp(buf, "bye", 3) == 0, "the closed peer's last bytes");
    ssize_t n = read(gone[0], buf, sizeof buf);
    FX_CHECK(n == 0, "end of file from the closed peer: read returned %zd (%s)", n, n < 0 ? strerror(errno) : "data");
    n = send(gone[0], "?", 1, MSG_NOSIGNAL);
    FX_CHECK(n == -1 && errno == EPIPE, "sending to the closed peer returned %zd (%s)", n, strerror(errno));
    fx_pass();
}
