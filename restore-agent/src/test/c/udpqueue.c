// SPDX-License-Identifier: Apache-2.0
/*
 * UDP datagrams queued to read: an IPv4 socket and a dual-stack IPv6 one, each sent three
 * datagrams (one empty) by the fixture's own sender sockets (an IPv4 one to both, as
 * ::ffff:127.0.0.1 to the IPv6 one, and an IPv6 one from ::1) before the checkpoint, and a
 * connected IPv4 socket its peer sent one to. After restore each reads its datagrams in order,
 * from the right sender, and a reply to the sender's address reaches the sender.
 */
#include "fixture.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int bound4(struct sockaddr_in *a) {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    *a = (struct sockaddr_in) {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof *a;
    FX_CHECK(bind(s, (struct sockaddr *) a, len) == 0, "bind4: %s", strerror(errno));
    getsockname(s, (struct sockaddr *) a, &len);
    return s;
}

static void expect(int s, const char *want, size_t n, struct sockaddr *from_want, socklen_t from_len, const char *what) {
    char buf[256];
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t r = recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *) &from, &fl);
    FX_CHECK(r == (ssize_t) n, "%s: read %zd (%s), want %zu bytes", what, r, r < 0 ? strerror(errno) : "", n);
    FX_CHECK(memcmp(buf, want, n) == 0, "%s: got %.*s", what, (int) r, buf);
    FX_CHECK(fl == from_len && memcmp(&from, from_want, from_len) == 0, "%s: from another sender (port %d)", what,
             ntohs(((struct sockaddr_in *) &from)->sin_port));
    FX_CHECK(sendto(s, "re", 2, 0, (struct sockaddr *) &from, fl) == 2, "%s: reply: %s", what, strerror(errno));
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    struct sockaddr_in a4, snd4, peer4, conn4;
    int r4 = bound4(&a4);
    int s4 = bound4(&snd4);
    int p4 = bound4(&peer4);
    int c4 = bound4(&conn4);
    FX_CHECK(connect(c4, (struct sockaddr *) &peer4, sizeof peer4) == 0, "connect");

    int r6 = socket(AF_INET6, SOCK_DGRAM, 0);
    int zero = 0;
    setsockopt(r6, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
    socklen_t l6 = sizeof a6;
    FX_CHECK(bind(r6, (struct sockaddr *) &a6, l6) == 0, "bind6: %s", strerror(errno));
    getsockname(r6, (struct sockaddr *) &a6, &l6);
    int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 snd6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    socklen_t ls6 = sizeof snd6;
    FX_CHECK(bind(s6, (struct sockaddr *) &snd6, ls6) == 0, "bind6 sender: %s", strerror(errno));
    getsockname(s6, (struct sockaddr *) &snd6, &ls6);

    struct sockaddr_in6 to6 = {.sin6_family = AF_INET6, .sin6_port = a6.sin6_port, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    struct sockaddr_in to6v4 = {.sin_family = AF_INET, .sin_port = a6.sin6_port, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    FX_CHECK(sendto(s4, "first", 5, 0, (struct sockaddr *) &a4, sizeof a4) == 5, "send");
    FX_CHECK(sendto(s4, "", 0, 0, (struct sockaddr *) &a4, sizeof a4) == 0, "send empty");
    FX_CHECK(sendto(s4, "third one", 9, 0, (struct sockaddr *) &a4, sizeof a4) == 9, "send");
    FX_CHECK(sendto(s6, "six", 3, 0, (struct sockaddr *) &to6, sizeof to6) == 3, "send6");
    FX_CHECK(sendto(s4, "mapped", 6, 0, (struct sockaddr *) &to6v4, sizeof to6v4) == 6, "send mapped");
    FX_CHECK(sendto(s6, "", 0, 0, (struct sockaddr *) &to6, sizeof to6) == 0, "send6 empty");
    FX_CHECK(sendto(p4, "to the connected", 16, 0, (struct sockaddr *) &conn4, sizeof conn4) == 16, "send to connected");
    usleep(50000);
    fx_ready();
    fx_wait();

    expect(r4, "first", 5, (struct sockaddr *) &snd4, sizeof snd4, "v4 first");
    expect(r4, "", 0, (struct sockaddr *) &snd4, sizeof snd4, "v4 empty");
    expect(r4, "third one", 9, (struct sockaddr *) &snd4, sizeof snd4, "v4 third");
    char buf[16];
    FX_CHECK(recv(r4, buf, sizeof buf, MSG_DONTWAIT) < 0, "v4: a datagram too many");
    expect(r6, "six", 3, (struct sockaddr *) &snd6, sizeof snd6, "v6 six");
    struct sockaddr_in6 mapped = {.sin6_family = AF_INET6, .sin6_port = snd4.sin_port};
    mapped.sin6_addr.s6_addr[10] = 0xff;
    mapped.sin6_addr.s6_addr[11] = 0xff;
    memcpy(&mapped.sin6_addr.s6_addr[12], &snd4.sin_addr, 4);
    expect(r6, "mapped", 6, (struct sockaddr *) &mapped, sizeof mapped, "v6 mapped");
    expect(r6, "", 0, (struct sockaddr *) &snd6, sizeof snd6, "v6 empty");
    expect(c4, "to the connected", 16, (struct sockaddr *) &peer4, sizeof peer4, "connected");
    for (int i = 0; i < 4; i++) {
        FX_CHECK(recv(s4, buf, sizeof buf, 0) == 2 && memcmp(buf, "re", 2) == 0, "v4 sender: reply %d", i);
    }
    for (int i = 0; i < 2; i++) {
        FX_CHECK(recv(s6, buf, sizeof buf, 0) == 2, "v6 sender: reply %d", i);
    }
    FX_CHECK(recv(p4, buf, sizeof buf, 0) == 2, "peer: reply");
    fx_pass();
}
