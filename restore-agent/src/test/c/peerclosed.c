// SPDX-License-Identifier: Apache-2.0
/*
 * Unix sockets whose peer is closed, as the JDK keeps one: a stream socketpair end with bytes
 * still queued from the closed end, and a seqpacket end with nothing queued. After restore the
 * queued bytes are read, then end of file; sending fails with EPIPE.
 */
#include "fixture.h"
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int st[2], sp[2];
    FX_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, st) == 0, "socketpair stream");
    FX_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0, "socketpair seqpacket");
    FX_CHECK(write(st[1], "last words", 10) == 10, "write");
    close(st[1]);
    close(sp[1]);
    fx_ready();
    fx_wait();
    char buf[32];
    ssize_t n = read(st[0], buf, sizeof buf);
    FX_CHECK(n == 10 && memcmp(buf, "last words", 10) == 0, "queued bytes: read %zd", n);
    FX_CHECK(read(st[0], buf, sizeof buf) == 0, "no end of file on the stream end");
    FX_CHECK(send(st[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE, "send on the stream end: errno %d", errno);
    FX_CHECK(read(sp[0], buf, sizeof buf) == 0, "no end of file on the seqpacket end");
    FX_CHECK(send(sp[0], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE, "send on the seqpacket end: errno %d", errno);
    fx_pass();
}
