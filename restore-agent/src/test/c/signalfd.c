// SPDX-License-Identifier: Apache-2.0
/* A non-blocking signalfd for SIGHUP and SIGUSR2 (blocked): after restore it reads them, and only them. */
#include "fixture.h"
#include <sys/signalfd.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGHUP);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int s = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    FX_CHECK(s >= 0, "signalfd");
    fx_ready();
    fx_wait();
    struct signalfd_siginfo si;
    FX_CHECK(read(s, &si, sizeof si) == -1 && errno == EAGAIN, "signalfd not empty or blocking");
    kill(getpid(), SIGUSR2);
    FX_CHECK(read(s, &si, sizeof si) == sizeof si && si.ssi_signo == SIGUSR2, "SIGUSR2 not read: %d", si.ssi_signo);
    kill(getpid(), SIGHUP);
    FX_CHECK(read(s, &si, sizeof si) == sizeof si && si.ssi_signo == SIGHUP, "SIGHUP not read");
    FX_CHECK(fcntl(s, F_GETFD) & FD_CLOEXEC, "FD_CLOEXEC lost");
    sigset_t none;
    sigemptyset(&none);
    sigaddset(&none, SIGTERM);
    int other = signalfd(s, &none, 0); /* still a signalfd: it can be updated */
    FX_CHECK(other == s, "not a signalfd after restore");
    fx_pass();
}
