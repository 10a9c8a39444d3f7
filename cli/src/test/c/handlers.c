// SPDX-License-Identifier: Apache-2.0
/*
 * A target for kills aimed at the capturer: it catches many signals (so a capture asks for
 * each action with a remote rt_sigaction: a long window of remote system calls), blocks a
 * known set, counts and sleeps in turn (so it is stopped both in user code and inside a
 * system call), and writes its count to <dir>/counter. On SIGUSR1 it checks that its handlers
 * and mask are still what it set and that its counter went on, and writes PASS or FAIL.
 * A target left with injected registers, the single-step flag or an all-blocked mask dies of
 * SIGTRAP or SIGSEGV, or never reacts to SIGUSR1.
 */
#include "fixture.h"
#include <time.h>

static volatile unsigned long hits[65];
static void on_signal(int sig) { hits[sig]++; }

static int caught(int sig) {
    return sig != SIGKILL && sig != SIGSTOP && sig != SIGUSR1 && sig != SIGPIPE && sig != SIGCHLD
        && sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGFPE && sig != SIGTRAP && sig != SIGABRT
        && sig != 32 && sig != 33;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    for (int sig = 1; sig <= 64; sig++) {
        if (!caught(sig)) continue;
        struct sigaction sa = {0};
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        FX_CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction %d", sig);
    }
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGPIPE);
    sigaddset(&blocked, 40);
    FX_CHECK(sigprocmask(SIG_BLOCK, &blocked, NULL) == 0, "sigprocmask");
    int fd = open(fx_path("counter"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(fd >= 0, "open counter");
    fx_ready();
    unsigned long count = 0;
    while (!fx_go) {
        for (volatile int i = 0; i < 20000; i++) { }
        count++;
        char text[32];
        int n = snprintf(text, sizeof text, "%020lu\n", count);
        pwrite(fd, text, n, 0);
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    for (int sig = 1; sig <= 64; sig++) {
        if (!caught(sig)) continue;
        struct sigaction now;
        if (sigaction(sig, NULL, &now) != 0 || now.sa_handler != on_signal) fx_fail("handler of signal %d lost", sig);
    }
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGUSR1) continue;
        if (sigismember(&mask, sig) != sigismember(&blocked, sig)) fx_fail("signal %d %s blocked", sig,
                sigismember(&mask, sig) ? "is" : "is not");
    }
    if (count == 0) fx_fail("never counted");
    fx_pass_with("%lu", count);
}
