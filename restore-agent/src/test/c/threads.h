// SPDX-License-Identifier: Apache-2.0
/*
 * Helpers for multi-threaded fixtures (on top of fixture.h). Threads are started with SIGUSR1
 * blocked, so that the test's "check now" signal always reaches the main thread waiting in
 * fx_wait(); every thread records its tid (gettid) at start, and th_check_tid() compares it
 * with what the kernel says after restore: glibc keeps it in the thread descriptor (mutex
 * owners, pthread_kill), so it must be the same.
 */
#ifndef CRYOSTASH_THREADS_H
#define CRYOSTASH_THREADS_H
#include "fixture.h"
#include <pthread.h>
#include <sys/syscall.h>

static pid_t th_gettid(void) { return (pid_t) syscall(SYS_gettid); }

/* pthread_create with SIGUSR1 blocked in the new thread (the mask is inherited). */
static pthread_t th_start(void *(*fn)(void *), void *arg) {
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, &old);
    pthread_t t;
    int r = pthread_create(&t, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) fx_fail("pthread_create: %d", r);
    return t;
}

/* Joins a thread, failing when it does not end within seconds (a restored thread that hangs). */
static void *th_join(pthread_t t, const char *what) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    void *ret = NULL;
    int r = pthread_timedjoin_np(t, &ret, &deadline);
    if (r != 0) fx_fail("joining %s: %s", what, strerror(r));
    return ret;
}

/* Writes "threads" with the tids of the main thread and the given ones, one a line. */
static void th_report_tids(const volatile pid_t *tids, int n) {
    for (int i = 0; i < n; i++) while (!tids[i]) sched_yield(); /* a thread not scheduled yet has none */
    char text[4096];
    int len = snprintf(text, sizeof text, "%d\n", (int) th_gettid());
    for (int i = 0; i < n && len < (int) sizeof text - 16; i++) len += snprintf(text + len, sizeof text - len, "%d\n", (int) tids[i]);
    fx_write_file("threads", text);
}

#endif
