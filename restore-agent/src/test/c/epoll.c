// SPDX-License-Identifier: Apache-2.0
/*
 * An epoll set: a pipe with a byte in flight (in), an eventfd with a count (in|out), an empty
 * pipe (in, not ready), a duplicate of the eventfd (in), all level-triggered, plus an
 * edge-triggered pipe write end. The level-triggered readiness after restore must equal what
 * epoll_wait reported before the checkpoint; the edge-triggered end reports its edge (a fresh
 * registration), and the registrations answer EPOLL_CTL_MOD.
 */
#include "fixture.h"
#include <sys/epoll.h>
#include <sys/eventfd.h>

static int ready_list(int ep, char *out, size_t n, int skip_et) {
    struct epoll_event ev[16];
    int k = epoll_wait(ep, ev, 16, 0);
    unsigned long long keys[16];
    int m = 0;
    for (int i = 0; i < k; i++) {
        if (skip_et && ev[i].data.u64 == 0x3333) continue;
        keys[m++] = (ev[i].data.u64 << 16) | (ev[i].events & 0xffff);
    }
    for (int i = 0; i < m; i++) /* sort: epoll's order is not part of its contract */
        for (int j = i + 1; j < m; j++)
            if (keys[j] < keys[i]) { unsigned long long t = keys[i]; keys[i] = keys[j]; keys[j] = t; }
    out[0] = 0;
    for (int i = 0; i < m; i++) snprintf(out + strlen(out), n - strlen(out), "%llx ", keys[i]);
    return k;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int p[2], q[2], r[2];
    FX_CHECK(pipe(p) == 0 && pipe(q) == 0 && pipe(r) == 0, "pipe");
    FX_CHECK(write(p[1], "x", 1) == 1, "write");
    int e = eventfd(3, 0);
    int e2 = dup(e);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev;
    ev.events = EPOLLIN; ev.data.u64 = 0x1111; epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    ev.events = EPOLLIN | EPOLLOUT; ev.data.u64 = 0x2222; epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
    ev.events = EPOLLOUT | EPOLLET; ev.data.u64 = 0x3333; epoll_ctl(ep, EPOLL_CTL_ADD, q[1], &ev);
    ev.events = EPOLLIN; ev.data.u64 = 0x4444; epoll_ctl(ep, EPOLL_CTL_ADD, r[0], &ev);
    ev.events = EPOLLIN; ev.data.u64 = 0x5555; FX_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, e2, &ev) == 0, "add dup");
    char before[512], after[512];
    ready_list(ep, before, sizeof before, 1);
    fx_ready();
    fx_wait();
    ready_list(ep, after, sizeof after, 0);
    FX_CHECK(strstr(after, "33330004 ") != NULL, "edge-triggered write end not reported: %s", after);
    ready_list(ep, after, sizeof after, 1);
    FX_CHECK(strcmp(before, after) == 0, "readiness before [%s] after [%s]", before, after);
    FX_CHECK(fcntl(ep, F_GETFD) & FD_CLOEXEC, "EPOLL_CLOEXEC lost");
    ev.events = EPOLLOUT; ev.data.u64 = 0x4444;
    FX_CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, r[0], &ev) == -1 && errno == EPERM ? 1 : epoll_ctl(ep, EPOLL_CTL_MOD, r[0], &ev) == 0,
             "registration of the empty pipe missing: %s", strerror(errno));
    char c;
    FX_CHECK(read(p[0], &c, 1) == 1 && c == 'x', "pipe byte");
    ready_list(ep, after, sizeof after, 1);
    FX_CHECK(strstr(after, "1111") == NULL, "pipe still reported readable after its byte was read: %s", after);
    fx_pass_with("%s", before);
}
