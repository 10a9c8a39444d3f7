// SPDX-License-Identifier: Apache-2.0
/*
 * A process frozen inside a blocking system call: argv[2] names the call (nanosleep, select,
 * pause, poll, sigsuspend, read-pipe). After restore the call restarts or fails with EINTR, as the kernel
 * would have done; it never returns garbage. SIGUSR1 (no SA_RESTART) ends the wait. The
 * result counts how the calls returned: "PASS eintr=N eof=M".
 */
#include "fixture.h"
#include <poll.h>
#include <sys/select.h>
#include <time.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    const char *mode = argc > 2 ? argv[2] : "pause";
    int p[2];
    if (pipe(p) != 0) fx_fail("pipe");
    unsigned counter_before = 12345;
    volatile unsigned counter = counter_before;
    int eintr = 0, eof = 0, calls = 0;
    fx_ready();
    while (!fx_go) {
        calls++;
        if (strcmp(mode, "nanosleep") == 0) {
            struct timespec req = {30, 0}, rem = {-1, -1};
            int r = nanosleep(&req, &rem);
            if (r == 0) fx_fail("nanosleep of 30 s returned 0 early");
            FX_CHECK(r == -1 && errno == EINTR, "nanosleep returned %d errno %d", r, errno);
            FX_CHECK(rem.tv_sec >= 0 && rem.tv_sec <= 30 && rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000L,
                     "nanosleep remaining time is garbage: %ld.%09ld", (long) rem.tv_sec, rem.tv_nsec);
            eintr++;
        } else if (strcmp(mode, "select") == 0) {
            struct timeval tv = {30, 0};
            int r = select(0, NULL, NULL, NULL, &tv);
            FX_CHECK(r == -1 && errno == EINTR, "select returned %d errno %d", r, errno);
            eintr++;
        } else if (strcmp(mode, "poll") == 0) {
            int r = poll(NULL, 0, 30000);
            FX_CHECK(r == -1 && errno == EINTR, "poll returned %d errno %d", r, errno);
            eintr++;
        } else if (strcmp(mode, "sigsuspend") == 0) {
            /* the real mask blocks SIGUSR1 and SIGUSR2; only sigsuspend's temporary mask lets them in */
            sigset_t block, none, now;
            sigemptyset(&block);
            sigaddset(&block, SIGUSR1);
            sigaddset(&block, SIGUSR2);
            sigprocmask(SIG_BLOCK, &block, NULL);
            sigemptyset(&none);
            int r = sigsuspend(&none);
            FX_CHECK(r == -1 && errno == EINTR, "sigsuspend returned %d errno %d", r, errno);
            sigprocmask(SIG_BLOCK, NULL, &now);
            FX_CHECK(sigismember(&now, SIGUSR1) && sigismember(&now, SIGUSR2),
                     "after sigsuspend the mask is not the one from before it");
            eintr++;
        } else if (strcmp(mode, "pause") == 0) {
            int r = pause();
            FX_CHECK(r == -1 && errno == EINTR, "pause returned %d errno %d", r, errno);
            eintr++;
        } else if (strcmp(mode, "read-pipe") == 0) {
            char buf[16];
            ssize_t r = read(p[0], buf, sizeof buf);
            if (r == 0) {
                eof++; /* the pipe could not be restored: its read end now reads as empty */
                while (!fx_go) pause();
            } else {
                FX_CHECK(r == -1 && errno == EINTR, "read returned %zd errno %d", r, errno);
                eintr++;
            }
        } else {
            fx_fail("unknown mode %s", mode);
        }
        FX_CHECK(calls < 1000, "the call keeps returning at once (%d calls)", calls);
    }
    FX_CHECK(counter == counter_before, "memory changed");
    fx_pass_with("eintr=%d eof=%d", eintr, eof);
}
