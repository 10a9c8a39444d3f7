// SPDX-License-Identifier: Apache-2.0
/*
 * Descriptors and timers in a multi-threaded process. The main thread holds a pipe with 60000
 * bytes in flight (nobody reads it before the checkpoint), an eventfd with counter 41 and a
 * signalfd for SIG_QUEUED, of which one is queued to the process (sigqueue, with a value) and
 * blocked everywhere. A reader thread sits blocked in read() on a second, empty pipe. A POSIX
 * timer signals the reader thread alone (SIGEV_THREAD_ID, every 200 ms): its handler runs in
 * that thread (SA_RESTART, so the blocked read goes on) and counts a delivery to any other
 * thread as wrong; the main thread leaves the signal unblocked, so a timer that came back
 * aimed at the whole process would be delivered to it.
 *
 * After restore: the eventfd still reads 41, the signalfd returns the queued signal with its
 * value, the timer fires again in the reader only, and once the main thread writes "g" to the
 * second pipe the reader's read returns that one byte, the reader drains the first pipe and
 * finds the 60000 bytes in order and nothing more. Every thread keeps its tid.
 */
#include "threads.h"
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>

#define IN_FLIGHT 60000

static int inflight[2], wake[2];
static volatile pid_t tids[1];
static volatile sig_atomic_t ticks, wrong_thread;
static volatile long wrong_tid;
static volatile int reader_done;
static char reader_error[256];

static unsigned char pattern(long i) { return (unsigned char) (i * 7 + i / 251); }

static void on_tick(int sig, siginfo_t *si, void *uc) {
    (void) sig; (void) uc;
    if (si->si_value.sival_int != 77 || th_gettid() != tids[0]) {
        wrong_thread = 1;
        wrong_tid = th_gettid();
    }
    ticks++;
}

static void *reader(void *arg) {
    (void) arg;
    tids[0] = th_gettid();
    char c = 0;
    ssize_t n = read(wake[0], &c, 1); /* blocked here across the checkpoint */
    if (n != 1 || c != 'g') {
        snprintf(reader_error, sizeof reader_error, "the blocked read returned %zd (%s), byte %d", n,
                 n < 0 ? strerror(errno) : "-", c);
        reader_done = 1;
        return NULL;
    }
    static unsigned char buf[IN_FLIGHT + 1];
    long got = 0;
    while (got < IN_FLIGHT) {
        n = read(inflight[0], buf + got, IN_FLIGHT - got);
        if (n <= 0) {
            snprintf(reader_error, sizeof reader_error, "the pipe in flight ended after %ld bytes: %zd (%s)", got, n,
                     n < 0 ? strerror(errno) : "eof");
            reader_done = 1;
            return NULL;
        }
        got += n;
    }
    for (long i = 0; i < IN_FLIGHT; i++) {
        if (buf[i] != pattern(i)) {
            snprintf(reader_error, sizeof reader_error, "byte %ld of the pipe in flight is %d, was %d", i, buf[i],
                     pattern(i));
            reader_done = 1;
            return NULL;
        }
    }
    fcntl(inflight[0], F_SETFL, O_NONBLOCK);
    n = read(inflight[0], buf, 1);
    if (n != -1 || errno != EAGAIN) snprintf(reader_error, sizeof reader_error, "more than was written: %zd", n);
    reader_done = 1;
    return NULL;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int sig_tick = SIGRTMIN + 1, sig_queued = SIGRTMIN + 3;
    FX_CHECK(pipe(inflight) == 0 && pipe(wake) == 0, "pipe");
    static unsigned char data[IN_FLIGHT];
    for (long i = 0; i < IN_FLIGHT; i++) data[i] = pattern(i);
    FX_CHECK(write(inflight[1], data, IN_FLIGHT) == IN_FLIGHT, "filling the pipe");
    int efd = eventfd(41, EFD_CLOEXEC);
    FX_CHECK(efd >= 0, "eventfd");

    sigset_t queued;
    sigemptyset(&queued);
    sigaddset(&queued, sig_queued);
    pthread_sigmask(SIG_BLOCK, &queued, NULL); /* inherited by the reader: only the signalfd takes it */
    int sfd = signalfd(-1, &queued, SFD_CLOEXEC);
    FX_CHECK(sfd >= 0, "signalfd");
    struct sigaction sa = {.sa_sigaction = on_tick, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(sig_tick, &sa, NULL);

    pthread_t r = th_start(reader, NULL);
    th_report_tids(tids, 1);
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = sig_tick};
    ev.sigev_value.sival_int = 77;
    ev._sigev_un._tid = tids[0];
    timer_t timer;
    FX_CHECK(timer_create(CLOCK_MONOTONIC, &ev, &timer) == 0, "timer_create: %s", strerror(errno));
    struct itimerspec every = {.it_interval = {0, 200000000}, .it_value = {0, 300000000}};
    FX_CHECK(timer_settime(timer, 0, &every, NULL) == 0, "timer_settime");
    union sigval v = {.sival_int = 4242};
    FX_CHECK(sigqueue(getpid(), sig_queued, v) == 0, "sigqueue");
    for (;;) { /* the timer has reached the reader, and the reader sleeps in its read (it sleeps nowhere else) */
        char path[64], st = 0;
        snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int) tids[0]);
        FILE *f = fopen(path, "r");
        if (f) { fscanf(f, "%*d (%*[^)]) %c", &st); fclose(f); }
        if (ticks >= 2 && st == 'S') break;
        struct timespec nap = {0, 10000000};
        nanosleep(&nap, NULL);
    }
    fx_ready();
    fx_wait();

    FX_CHECK(th_gettid() == getpid(), "main thread tid %d, pid %d", (int) th_gettid(), (int) getpid());
    uint64_t count = 0;
    FX_CHECK(read(efd, &count, sizeof count) == sizeof count && count == 41, "eventfd read %llu, was 41",
             (unsigned long long) count);
    struct signalfd_siginfo si;
    int flags = fcntl(sfd, F_GETFL);
    fcntl(sfd, F_SETFL, flags | O_NONBLOCK);
    ssize_t n = read(sfd, &si, sizeof si);
    FX_CHECK(n == sizeof si, "the signalfd has no queued signal: %zd (%s)", n, n < 0 ? strerror(errno) : "short");
    FX_CHECK((int) si.ssi_signo == sig_queued && si.ssi_int == 4242 && (pid_t) si.ssi_pid == getpid(),
             "queued signal %u value %d from %u", si.ssi_signo, si.ssi_int, si.ssi_pid);

    int before = ticks;
    for (int i = 0; i < 100 && ticks < before + 3; i++) {
        struct timespec nap = {0, 50000000};
        nanosleep(&nap, NULL);
    }
    FX_CHECK(ticks >= before + 3, "the thread timer fired %d times in 5 s after restore", ticks - before);
    FX_CHECK(!wrong_thread, "the thread timer's signal reached thread %ld, not the reader %d", wrong_tid,
             (int) tids[0]);
    FX_CHECK(!reader_done, "the reader left its read before it was woken: %s", reader_error);

    FX_CHECK(write(wake[1], "g", 1) == 1, "waking the reader");
    th_join(r, "the reader");
    FX_CHECK(reader_error[0] == 0, "%s", reader_error);
    fx_pass_with("%d", ticks);
}
