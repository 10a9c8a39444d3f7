// SPDX-License-Identifier: Apache-2.0
/*
 * Condition variables: three consumers wait in pthread_cond_wait on an empty queue and one in
 * pthread_cond_timedwait (an hour's timeout) when the process is checkpointed. After restore
 * the main thread produces 3000 items, signalling and broadcasting; the consumers take them
 * all (each item exactly once: the sum is checked), the timed waiter wakes up by a broadcast
 * (not by its timeout), and all are joined.
 */
#include "threads.h"
#include <time.h>

#define CONSUMERS 4
#define ITEMS 3000
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t nonempty = PTHREAD_COND_INITIALIZER;
static long queue[ITEMS];
static int head, tail, done, waiting;
static long taken_sum[CONSUMERS], taken_count[CONSUMERS];
static int timed_out;
static volatile pid_t tids[CONSUMERS];

static void *consumer(void *arg) {
    long i = (long) arg;
    tids[i] = th_gettid();
    pthread_mutex_lock(&lock);
    for (;;) {
        while (head == tail && !done) {
            waiting++;
            if (i == CONSUMERS - 1) {
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += 3600;
                if (pthread_cond_timedwait(&nonempty, &lock, &until) == ETIMEDOUT) timed_out = 1;
            } else {
                pthread_cond_wait(&nonempty, &lock);
            }
            waiting--;
        }
        if (head == tail && done) break;
        taken_sum[i] += queue[head++];
        taken_count[i]++;
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    pthread_t t[CONSUMERS];
    for (long i = 0; i < CONSUMERS; i++) t[i] = th_start(consumer, (void *) i);
    for (;;) { /* every consumer asleep on the condition variable */
        pthread_mutex_lock(&lock);
        int w = waiting;
        pthread_mutex_unlock(&lock);
        if (w == CONSUMERS) break;
        sched_yield();
    }
    th_report_tids(tids, CONSUMERS);
    fx_ready();
    fx_wait();

    long expected = 0;
    for (int k = 0; k < ITEMS; k++) {
        pthread_mutex_lock(&lock);
        queue[tail++] = k + 1;
        expected += k + 1;
        if (k % 100 == 99) pthread_cond_broadcast(&nonempty); else pthread_cond_signal(&nonempty);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    done = 1;
    pthread_cond_broadcast(&nonempty);
    pthread_mutex_unlock(&lock);
    long sum = 0, count = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        th_join(t[i], "a consumer");
        sum += taken_sum[i];
        count += taken_count[i];
    }
    FX_CHECK(count == ITEMS && sum == expected, "consumers took %ld items summing to %ld, expected %d and %ld",
             count, sum, ITEMS, expected);
    FX_CHECK(!timed_out, "the timed wait timed out instead of being woken");
    fx_pass_with("items=%ld", count);
}
