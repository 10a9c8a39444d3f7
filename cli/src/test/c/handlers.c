// SPDX-License-Identifier: Apache-2.0
/*
 * A target for kills aimed at the capturer: it catches many signals (so a capture asks for
 * each action with a remote rt_sigaction: a long window of remote system calls), blocks a
 * known set, counts and sleeps in turn (so it is stopped both in user code and inside a
 * system call), and writes its count to <dir>/counter. On SIGUSR1 it checks that its handlers
 * and mask are still what it set and that its counter went on, and writes PASS or FAIL.
 * A target left with injected registers, the single-step flag or an all-blocked mask dies of
 * SIGTRAP or SIGSEGV, or never reacts to SIGUSR1.
 *
 * With argv[2] = N it also runs N more threads, each blocking one more signal of its own
 * (41 + i) and counting into <dir>/counter-<i>; at SIGUSR1 each checks its own mask.
 */
#include "fixture.h"
#include <pthread.h>
#include <time.h>

#define MAX_THREADS 16
static sigset_t blocked;
static volatile int thread_failed[MAX_THREADS];

static void spin_and_count(int fd, unsigned long *count) {
    for (volatile int i = 0; i < 20000; i++) { }
    (*count)++;
    char text[32];
    int n = snprintf(text, sizeof text, "%020lu\n", *count);
    if (pwrite(fd, text, n, 0) < 0) { /* the test sees the counter stop */ }
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
}

static void *thread_main(void *arg) {
    int i = (int) (long) arg;
    sigset_t mine = blocked;
    sigaddset(&mine, 41 + i);
    pthread_sigmask(SIG_SETMASK, &mine, NULL);
    char name[32];
    snprintf(name, sizeof name, "counter-%d", i);
    int fd = open(fx_path(name), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) { thread_failed[i] = 1; return NULL; }
    unsigned long count = 0;
    while (!fx_go) spin_and_count(fd, &count);
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGUSR1) continue;
        if (sigismember(&now, sig) != sigismember(&mine, sig)) thread_failed[i] = 2;
    }
    if (count == 0) thread_failed[i] = 3;
    return NULL;
}

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
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGPIPE);
    sigaddset(&blocked, 40);
    FX_CHECK(sigprocmask(SIG_BLOCK, &blocked, NULL) == 0, "sigprocmask");
    int fd = open(fx_path("counter"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(fd >= 0, "open counter");
    int threads = argc > 2 ? atoi(argv[2]) : 0;
    FX_CHECK(threads >= 0 && threads <= MAX_THREADS, "thread count %d", threads);
    pthread_t tids[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        char name[32];
        snprintf(name, sizeof name, "counter-%d", i);
        fx_write_file(name, "0\n");
        FX_CHECK(pthread_create(&tids[i], NULL, thread_main, (void *) (long) i) == 0, "pthread_create");
    }
    fx_ready();
    unsigned long count = 0;
    while (!fx_go) spin_and_count(fd, &count);
    for (int i = 0; i < threads; i++) {
        pthread_kill(tids[i], SIGUSR1); /* fx_go is set; wake it from its sleep */
        pthread_join(tids[i], NULL);
        if (thread_failed[i]) fx_fail("thread %d: %s", i, thread_failed[i] == 1 ? "cannot open its counter"
                : thread_failed[i] == 2 ? "its signal mask changed" : "never counted");
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
