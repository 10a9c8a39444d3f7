// SPDX-License-Identifier: Apache-2.0
/*
 * Unix sockets between the processes of a tree. Before forking, the parent P makes a stream
 * socketpair, a datagram socketpair and a listener at a path; after the fork P keeps one end of
 * each pair and its child C the other, C connects to the listener and P accepts (then closes
 * and removes the listener: the connection is all that is left of it). Each side then sends
 * the other bytes it does not read yet: at capture every queue holds something, in both
 * directions. C waits in read() on an empty pipe from P. After restore P reads what C had sent,
 * sends "more" and wakes C, which reads what P had sent (and "more" after it) and answers
 * "child-ok"; P reaps C (status 0, or the number of the first check that failed).
 */
#include "fixture.h"
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

static int readn(int fd, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) { return -1; }
        got += (size_t) r;
    }
    return 0;
}

static int expect(int fd, const char *text) {
    char buf[64] = {0};
    size_t n = strlen(text);
    return readn(fd, buf, n) == 0 && memcmp(buf, text, n) == 0;
}

static int expect_dgram(int fd, const char *text) {
    char buf[64] = {0};
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    return n == (ssize_t) strlen(text) && memcmp(buf, text, (size_t) n) == 0;
}

/* Waits until at least n bytes are queued to read on fd (nothing taken). */
static void await_queued(int fd, int n) {
    for (int i = 0; i < 10000; i++) {
        int q = 0;
        if (ioctl(fd, FIONREAD, &q) == 0 && q >= n) { return; }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    fx_fail("bytes from the child never arrived on fd %d", fd);
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int sp[2], dp[2], go[2];
    FX_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair stream");
    FX_CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, dp) == 0, "socketpair dgram");
    FX_CHECK(pipe(go) == 0, "pipe");
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path, sizeof a.sun_path, "%s", fx_path("tree.sock"));
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1;
    unlink(a.sun_path);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    FX_CHECK(bind(ls, (struct sockaddr *) &a, alen) == 0 && listen(ls, 1) == 0, "listen: %s", strerror(errno));

    pid_t c = fork();
    FX_CHECK(c >= 0, "fork");
    if (c == 0) {
        close(sp[0]);
        close(dp[0]);
        close(go[1]);
        close(ls);
        int cs = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(cs, (struct sockaddr *) &a, alen) != 0) { _exit(10); }
        if (write(sp[1], "pong-from-child", 15) != 15) { _exit(11); }
        if (send(dp[1], "c1", 2, 0) != 2) { _exit(12); }
        if (write(cs, "via-connect", 11) != 11) { _exit(13); }
        char g;
        if (read(go[0], &g, 1) != 1) { _exit(14); } /* blocked here at capture */
        if (!expect(sp[1], "ping-from-parent")) { _exit(15); }
        if (!expect(sp[1], "more")) { _exit(16); }
        if (!expect_dgram(dp[1], "d1") || !expect_dgram(dp[1], "dd2")) { _exit(17); }
        if (!expect(cs, "accepted")) { _exit(18); }
        if (write(sp[1], "child-ok", 8) != 8 || write(cs, "bye", 3) != 3) { _exit(19); }
        _exit(0);
    }
    close(sp[1]);
    close(dp[1]);
    close(go[0]);
    int as = accept(ls, NULL, NULL);
    FX_CHECK(as >= 0, "accept: %s", strerror(errno));
    close(ls);
    unlink(a.sun_path);
    FX_CHECK(write(sp[0], "ping-from-parent", 16) == 16, "write stream");
    FX_CHECK(send(dp[0], "d1", 2, 0) == 2 && send(dp[0], "dd2", 3, 0) == 3, "send dgrams");
    FX_CHECK(write(as, "accepted", 8) == 8, "write accepted");
    await_queued(sp[0], 15);
    await_queued(dp[0], 1);
    await_queued(as, 11);
    fx_report("pids", "%d\n", (int) c);
    fx_ready();
    fx_wait();

    FX_CHECK(expect(sp[0], "pong-from-child"), "the child's stream bytes");
    FX_CHECK(expect_dgram(dp[0], "c1"), "the child's datagram");
    FX_CHECK(expect(as, "via-connect"), "the child's bytes on the accepted connection");
    FX_CHECK(write(sp[0], "more", 4) == 4, "write more");
    FX_CHECK(write(go[1], "g", 1) == 1, "wake the child");
    FX_CHECK(expect(sp[0], "child-ok"), "the child's answer");
    FX_CHECK(expect(as, "bye"), "the child's bye on the accepted connection");
    int st;
    FX_CHECK(waitpid(c, &st, 0) == c, "waitpid: %s", strerror(errno));
    FX_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child failed check %d (status %#x)", WEXITSTATUS(st), st);
    fx_pass();
}
