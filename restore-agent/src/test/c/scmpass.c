// SPDX-License-Identifier: Apache-2.0
/*
 * Control messages queued on a stream socketpair and not received yet.
 *   scmpass <dir> rights: a pipe's read end passed with SCM_RIGHTS (capture must refuse: it
 *                         cannot keep the descriptor); after SIGUSR1 the fixture receives it and
 *                         reads through it what it wrote to the pipe.
 *   scmpass <dir> creds:  SO_PASSCRED on the receiver and a message sent with SCM_CREDENTIALS
 *                         (no descriptor: capture must not refuse); after restore its bytes read back.
 * The number of the receiving end is reported in "fd".
 */
#include "fixture.h"
#include <sys/socket.h>

static ssize_t send_with(int fd, const char *text, int type, const void *data, size_t len) {
    struct iovec io = {.iov_base = (void *) text, .iov_len = strlen(text)};
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    memset(cbuf, 0, sizeof cbuf);
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = CMSG_SPACE(len)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(len);
    memcpy(CMSG_DATA(c), data, len);
    return sendmsg(fd, &m, 0);
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int rights = argc > 2 && strcmp(argv[2], "rights") == 0;
    int sp[2], pp[2];
    FX_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0, "socketpair");
    if (rights) {
        FX_CHECK(pipe(pp) == 0 && write(pp[1], "through", 7) == 7, "pipe");
        FX_CHECK(send_with(sp[0], "r", SCM_RIGHTS, &pp[0], sizeof(int)) == 1, "send rights: %s", strerror(errno));
        close(pp[0]);
    } else {
        int on = 1;
        FX_CHECK(setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0, "SO_PASSCRED");
        struct ucred me = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
        FX_CHECK(send_with(sp[0], "credited", SCM_CREDENTIALS, &me, sizeof me) == 8, "send creds: %s", strerror(errno));
    }
    fx_report("fd", "%d\n", sp[1]);
    fx_ready();
    fx_wait();
    char buf[64] = {0};
    char cbuf[CMSG_SPACE(sizeof(int) * 4)];
    struct iovec io = {.iov_base = buf, .iov_len = sizeof buf - 1};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t n = recvmsg(sp[1], &m, MSG_DONTWAIT);
    if (rights) {
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        FX_CHECK(n == 1 && c && c->cmsg_type == SCM_RIGHTS, "no descriptor received (%zd)", n);
        int got;
        memcpy(&got, CMSG_DATA(c), sizeof got);
        char t[8] = {0};
        FX_CHECK(read(got, t, 7) == 7 && strcmp(t, "through") == 0, "passed pipe reads '%s'", t);
    } else {
        FX_CHECK(n == 8 && strcmp(buf, "credited") == 0, "queued bytes: '%s' (%zd)", buf, n);
    }
    fx_pass();
}
