// SPDX-License-Identifier: Apache-2.0
/*
 * Counters under a normal, an error-checking and a recursive mutex, incremented by six threads
 * through the checkpoint; each thread also counts its own increments, so after restore (all
 * threads joined) every shared counter must equal the sum of the threads' own counts. Held
 * across the checkpoint: the main thread holds the error-checking mutex (glibc stores the
 * owner's tid in it: unlocking after restore works only if the main thread's tid is the same,
 * and another thread's unlock must still fail with EPERM), a worker holds the recursive one
 * twice, and a seventh thread is blocked in the kernel (futex wait) on a normal mutex the main
 * thread holds; it gets it once the main thread lets go after restore.
 */
#include "threads.h"
#include <time.h>

#define WORKERS 6
static pthread_mutex_t normal = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t errcheck, recursive, held = PTHREAD_MUTEX_INITIALIZER;
static unsigned long shared_normal, shared_recursive;
static volatile unsigned long shared_errcheck;
static unsigned long own[WORKERS][3];
static volatile int stop, holder_ready, holder_release, waiter_got_it;
static volatile pid_t tids[WORKERS + 2];

static void *worker(void *arg) {
    long i = (long) arg;
    tids[i] = th_gettid();
    while (!stop) {
        if (pthread_mutex_lock(&normal) != 0) fx_fail("lock normal");
        shared_normal++;
        own[i][0]++;
        pthread_mutex_unlock(&normal);
        if (pthread_mutex_trylock(&errcheck) == 0) { /* the main thread holds it until after restore */
            shared_errcheck++;
            own[i][1]++;
            if (pthread_mutex_unlock(&errcheck) != 0) fx_fail("unlock errcheck by its owner");
        }
        if (pthread_mutex_lock(&recursive) != 0 || pthread_mutex_lock(&recursive) != 0) fx_fail("lock recursive");
        shared_recursive++;
        own[i][2]++;
        pthread_mutex_unlock(&recursive);
        pthread_mutex_unlock(&recursive);
        if (i == 0 && own[0][2] == 1000) { /* worker 0 then holds the recursive mutex twice until told */
            pthread_mutex_lock(&recursive);
            pthread_mutex_lock(&recursive);
            holder_ready = 1;
            while (!holder_release) sched_yield();
            pthread_mutex_unlock(&recursive);
            pthread_mutex_unlock(&recursive);
        }
    }
    if (th_gettid() != tids[i]) fx_fail("worker %ld: gettid %d, was %d", i, (int) th_gettid(), (int) tids[i]);
    return (void *) own[i];
}

static void *waiter(void *arg) {
    (void) arg;
    tids[WORKERS] = th_gettid();
    pthread_mutex_lock(&held); /* blocks in futex wait: the main thread holds it */
    waiter_got_it = 1;
    pthread_mutex_unlock(&held);
    return NULL;
}

static void *foreign_unlock(void *arg) {
    (void) arg;
    return (void *) (long) pthread_mutex_unlock(&errcheck);
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&errcheck, &a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&recursive, &a);
    pthread_mutex_lock(&held);
    pthread_t t[WORKERS];
    for (long i = 0; i < WORKERS; i++) t[i] = th_start(worker, (void *) i);
    pthread_t w = th_start(waiter, NULL);
    while (!holder_ready || !tids[WORKERS]) sched_yield();
    FX_CHECK(pthread_mutex_lock(&errcheck) == 0, "lock errcheck");
    th_report_tids(tids, WORKERS + 1);
    fx_ready();
    fx_wait();

    pthread_t f = th_start(foreign_unlock, NULL);
    FX_CHECK((long) th_join(f, "the foreign unlocker") == EPERM, "another thread could unlock the error-checking"
             " mutex the main thread holds (its owner tid changed?)");
    FX_CHECK(pthread_mutex_lock(&errcheck) == EDEADLK, "relocking the held error-checking mutex did not say EDEADLK");
    FX_CHECK(pthread_mutex_unlock(&errcheck) == 0, "the main thread could not unlock the error-checking mutex it"
             " held across the checkpoint (its tid changed?)");
    FX_CHECK(!waiter_got_it, "the waiter got a mutex that was still held");
    pthread_mutex_unlock(&held);
    th_join(w, "the thread blocked on a mutex");
    FX_CHECK(waiter_got_it, "the waiter never got the mutex");
    holder_release = 1;
    time_t deadline = time(NULL) + 10;
    while (shared_errcheck == 0 && time(NULL) < deadline) sched_yield(); /* workers take it again */
    stop = 1;
    unsigned long sum[3] = {0, 0, 0};
    for (int i = 0; i < WORKERS; i++) {
        unsigned long *o = th_join(t[i], "a worker");
        for (int k = 0; k < 3; k++) sum[k] += o[k];
        FX_CHECK(o[0] > 0, "worker %d never counted", i);
    }
    FX_CHECK(sum[0] == shared_normal, "normal mutex: shared %lu, threads counted %lu", shared_normal, sum[0]);
    FX_CHECK(sum[1] == shared_errcheck, "error-checking mutex: shared %lu, threads %lu", shared_errcheck, sum[1]);
    FX_CHECK(sum[2] == shared_recursive, "recursive mutex: shared %lu, threads %lu", shared_recursive, sum[2]);
    FX_CHECK(shared_errcheck > 0, "no worker got the error-checking mutex after it was released");
    fx_pass_with("normal=%lu errcheck=%lu recursive=%lu", shared_normal, shared_errcheck, shared_recursive);
}
