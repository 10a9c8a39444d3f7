// SPDX-License-Identifier: Apache-2.0
/*
 * TCP and UDP: a listener on 127.0.0.1 (port in <dir>/port) that has accepted one client of the
 * test (it greeted it and holds bytes the client sent and it has not read), a connection to
 * itself through a second listener (both ends in the image, bytes in flight both ways), and a
 * bound UDP socket (port in <dir>/udp). After restore: the client's "ping" after its unread
 * bytes is answered "pong", a new client is accepted and welcomed, a datagram arrives, and the
 * connection to itself still carries bytes both ways.
 */
#include "fixture.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static int listener(int *port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    FX_CHECK(bind(s, (struct sockaddr *) &a, len) == 0 && listen(s, 5) == 0, "listen");
    getsockname(s, (struct sockaddr *) &a, &len);
    *port = ntohs(a.sin_port);
    return s;
}

static void read_all(int fd, char *buf, size_t n, const char *what) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        FX_CHECK(r > 0, "%s: read %zd (%s) after %zu bytes", what, r, r < 0 ? strerror(errno) : "end of stream", got);
        got += r;
    }
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int port, port2;
    int ls = listener(&port);
    int l2 = listener(&port2);
    int one = 1;
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t ulen = sizeof ua;
    FX_CHECK(bind(u, (struct sockaddr *) &ua, ulen) == 0, "udp bind");
    getsockname(u, (struct sockaddr *) &ua, &ulen);

    /* a connection to itself */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a2 = {.sin_family = AF_INET, .sin_port = htons(port2), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    FX_CHECK(connect(c, (struct sockaddr *) &a2, sizeof a2) == 0, "connect to itself");
    int s2 = accept(l2, NULL, NULL);
    setsockopt(s2, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    FX_CHECK(write(c, "to server", 9) == 9 && write(s2, "to client", 9) == 9, "self writes");

    fx_report("udp", "%d\n", ntohs(ua.sin_port));
    fx_report("port", "%d\n", port);
    int client = accept(ls, NULL, NULL);
    FX_CHECK(client >= 0, "accept the test's client");
    FX_CHECK(write(client, "hello\n", 6) == 6, "greet");
    fx_ready();
    fx_wait();

    char buf[64];
    read_all(client, buf, 10, "the client's bytes");
    FX_CHECK(memcmp(buf, "queued\nping", 10) == 0 || memcmp(buf, "queued\npin", 10) == 0, "client sent %.10s", buf);
    read_all(client, buf, 1, "the client's last byte");
    FX_CHECK(write(client, "pong\n", 5) == 5, "answer: %s", strerror(errno));
    int second = accept(ls, NULL, NULL);
    FX_CHECK(second >= 0 && write(second, "welcome\n", 8) == 8, "accept a new client after restore: %s", strerror(errno));
    FX_CHECK(recv(u, buf, sizeof buf, 0) == 3 && memcmp(buf, "udp", 3) == 0, "datagram after restore");
    read_all(s2, buf, 9, "self server side");
    FX_CHECK(memcmp(buf, "to server", 9) == 0, "server side got %.9s", buf);
    read_all(c, buf, 9, "self client side");
    FX_CHECK(memcmp(buf, "to client", 9) == 0, "client side got %.9s", buf);
    FX_CHECK(write(c, "again", 5) == 5, "self write again");
    read_all(s2, buf, 5, "self again");
    int nd = 0;
    socklen_t nl = sizeof nd;
    getsockopt(s2, IPPROTO_TCP, TCP_NODELAY, &nd, &nl);
    FX_CHECK(nd, "TCP_NODELAY lost");
    fx_pass();
}
