// SPDX-License-Identifier: Apache-2.0
/*
 * Threads whose kernel state differs from thread to thread, for the tracer helper's thread
 * batches: argv[2] threads (default 6), thread i with an alternate signal stack of its own
 * (65536 + 4096 * i bytes), its own blocked mask (signal 34 + i blocked, and SIGUSR1), and one
 * signal 34 + i queued to it (pthread_kill while blocked), all sleeping in nanosleep. Writes
 * "stacks" (one line per thread: tid, sigaltstack address, size) before fx_ready().
 * SIGUSR1: PASS.
 */
#include "fixture.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#define MAX_THREADS 64

static int n;
static pthread_t threads[MAX_THREADS];
static pid_t tids[MAX_THREADS];
static void *stacks[MAX_THREADS];
static size_t sizes[MAX_THREADS];
static volatile int started;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *worker(void *arg) {
    int i = (int) (long) arg;
    sizes[i] = 65536 + 4096 * (size_t) i;
    stacks[i] = malloc(sizes[i]);
    stack_t ss = {.ss_sp = stacks[i], .ss_flags = 0, .ss_size = sizes[i]};
    if (sigaltstack(&ss, NULL) != 0) _exit(80);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, 34 + i);
    /* SIGUSR1 is the main thread's, which waits for it in pause(): a worker taking the
     * process-directed signal would set fx_go without waking it, and PASS would never come */
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    tids[i] = (pid_t) syscall(SYS_gettid);
    pthread_mutex_lock(&m);
    started++;
    pthread_mutex_unlock(&m);
    for (;;) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    n = argc > 2 ? atoi(argv[2]) : 6;
    FX_CHECK(n > 0 && n <= MAX_THREADS && 34 + n < 64, "thread count %d", n);
    for (int i = 0; i < n; i++) {
        FX_CHECK(pthread_create(&threads[i], NULL, worker, (void *) (long) i) == 0, "pthread_create");
    }
    for (;;) {
        pthread_mutex_lock(&m);
        int s = started;
        pthread_mutex_unlock(&m);
        if (s == n) break;
        usleep(1000);
    }
    char text[8192];
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        pthread_kill(threads[i], 34 + i); /* blocked there: stays queued to that thread */
        off += (size_t) snprintf(text + off, sizeof text - off, "%d %lu %zu\n", (int) tids[i],
                                 (unsigned long) stacks[i], sizes[i]);
    }
    fx_write_file("stacks", text);
    fx_ready();
    while (!fx_go) pause();
    fx_pass();
}
