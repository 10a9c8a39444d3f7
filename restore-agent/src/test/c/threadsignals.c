// SPDX-License-Identifier: Apache-2.0
/*
 * Per-thread signal state and thread-local storage. Four workers, each with its own blocked
 * set, its own __thread values and its own name; worker 2 runs with an alternate signal stack of
 * its own. Before the checkpoint the main thread queues SIGUSR2 to worker 1 (which blocks it:
 * it stays pending in that thread's own queue) and SIGRTMIN+3 with a value to the process (all
 * threads block it: it stays in the process-wide queue). After restore every worker checks its
 * mask, TLS, name and alternate stack; worker 1 finds SIGUSR2 pending, unblocks it and the
 * handler runs in worker 1; pthread_kill(worker 3, SIGUSR2) runs the handler in worker 3 (the
 * tid glibc keeps must name the right thread); the process-wide SIGRTMIN+3 is taken by
 * sigwaitinfo with its value intact. Then all are joined.
 */
#include "threads.h"
#include <sys/prctl.h>
#include <stdint.h>

#define WORKERS 4
#define ALT_SIZE (64 * 1024)
static volatile pid_t tids[WORKERS];
static volatile pid_t handled_in[8];
static volatile int handled_count;
static volatile int phase; /* 0 set up, 1 restored: check, 2 checked */
static volatile int ready_count, checked_count;
static char failure[WORKERS][160];
static __thread long tls_value;
static __thread char tls_name[32];
static char *alt;

static void on_usr2(int sig) {
    (void) sig;
    int k = __sync_fetch_and_add(&handled_count, 1);
    if (k < 8) handled_in[k] = th_gettid();
}

static void *worker(void *arg) {
    long i = (long) arg;
    tids[i] = th_gettid();
    tls_value = 1000 + i * 7;
    snprintf(tls_name, sizeof tls_name, "tls-%ld", i);
    char name[16];
    snprintf(name, sizeof name, "worker-%d", (int) i);
    prctl(PR_SET_NAME, name);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGRTMIN + 3);
    if (i == 1) sigaddset(&mask, SIGUSR2);
    if (i == 0) sigaddset(&mask, SIGWINCH);
    if (i == 2) {
        stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0};
        sigaltstack(&ss, NULL);
    }
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    __sync_fetch_and_add(&ready_count, 1);
    while (phase == 0) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    char *f = failure[i];
    sigset_t now, pending;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    if (th_gettid() != tids[i]) snprintf(f, 160, "gettid %d, was %d", (int) th_gettid(), (int) tids[i]);
    else if (tls_value != 1000 + i * 7) snprintf(f, 160, "TLS value %ld", tls_value);
    else if (snprintf(name, sizeof name, "tls-%d", (int) i) && strcmp(tls_name, name) != 0)
        snprintf(f, 160, "TLS text %s", tls_name);
    else if (sigismember(&now, SIGUSR2) != (i == 1) || sigismember(&now, SIGWINCH) != (i == 0)
             || !sigismember(&now, SIGRTMIN + 3) || !sigismember(&now, SIGUSR1))
        snprintf(f, 160, "signal mask changed");
    else {
        char got[16] = "";
        prctl(PR_GET_NAME, got);
        snprintf(name, sizeof name, "worker-%d", (int) i);
        if (strcmp(got, name) != 0) snprintf(f, 160, "name %s", got);
        stack_t ss;
        sigaltstack(NULL, &ss);
        if (i == 2 && (ss.ss_sp != alt || ss.ss_size != ALT_SIZE || (ss.ss_flags & SS_DISABLE)))
            snprintf(f, 160, "alternate stack lost");
        if (i != 2 && !(ss.ss_flags & SS_DISABLE)) snprintf(f, 160, "an alternate stack it never had");
        if (i == 1) {
            sigpending(&pending);
            if (!sigismember(&pending, SIGUSR2)) snprintf(f, 160, "the SIGUSR2 queued to it is lost");
            else {
                sigset_t usr2;
                sigemptyset(&usr2);
                sigaddset(&usr2, SIGUSR2);
                pthread_sigmask(SIG_UNBLOCK, &usr2, NULL); /* the handler runs here, now */
                if (handled_count < 1 || handled_in[0] != tids[1]) snprintf(f, 160, "its queued SIGUSR2 ran in %d",
                                                                             (int) handled_in[0]);
            }
        }
    }
    __sync_fetch_and_add(&checked_count, 1);
    while (phase < 2) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    alt = malloc(ALT_SIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 3);
    sigaddset(&rt, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &rt, NULL); /* the main thread blocks them too: they stay queued */
    pthread_t t[WORKERS];
    for (long i = 0; i < WORKERS; i++) t[i] = th_start(worker, (void *) i);
    while (ready_count < WORKERS) sched_yield();
    FX_CHECK(pthread_kill(t[1], SIGUSR2) == 0, "pthread_kill before");
    union sigval v = {.sival_int = 4242};
    FX_CHECK(sigqueue(getpid(), SIGRTMIN + 3, v) == 0, "sigqueue");
    th_report_tids(tids, WORKERS);
    fx_ready();
    fx_wait();

    phase = 1;
    while (checked_count < WORKERS) sched_yield();
    for (int i = 0; i < WORKERS; i++) FX_CHECK(failure[i][0] == 0, "worker %d: %s", i, failure[i]);
    FX_CHECK(pthread_kill(t[3], SIGUSR2) == 0, "pthread_kill after restore");
    for (int k = 0; k < 1000 && handled_count < 2; k++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    FX_CHECK(handled_count == 2, "SIGUSR2 handled %d times, expected 2", handled_count);
    FX_CHECK(handled_in[1] == tids[3], "pthread_kill(worker 3) ran the handler in %d, not in worker 3 (%d)",
             (int) handled_in[1], (int) tids[3]);
    siginfo_t si;
    struct timespec zero = {0, 0};
    FX_CHECK(sigtimedwait(&rt, &si, &zero) == SIGRTMIN + 3, "the SIGRTMIN+3 queued to the process is lost");
    FX_CHECK(si.si_value.sival_int == 4242 && si.si_code == SI_QUEUE, "SIGRTMIN+3 lost its value (%d, code %d)",
             si.si_value.sival_int, si.si_code);
    phase = 2;
    for (int i = 0; i < WORKERS; i++) th_join(t[i], "a worker");
    fx_pass_with("handled=%d", handled_count);
}
