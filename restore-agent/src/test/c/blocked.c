// SPDX-License-Identifier: Apache-2.0
/*
 * Threads frozen inside blocking system calls, each a different one: a raw futex wait (no
 * timeout), a futex wait with a timeout, nanosleep (30 s), epoll_wait (30 s, on an epoll set
 * with nothing in it), and read from a pipe nobody writes to. After restore each call carries
 * on as the kernel would have it: the futex waits keep waiting until the main thread wakes
 * them (FUTEX_WAKE after setting the word), nanosleep returns EINTR with a sane remaining time,
 * epoll_wait returns EINTR (never restarted, as after any signal), and the read sees EINTR or,
 * the pipe not being restorable yet, end of file. No call returns garbage; every thread is
 * joined; each reports how its call returned.
 */
#include "threads.h"
#include <linux/futex.h>
#include <sys/epoll.h>
#include <time.h>

enum { FUTEX_PLAIN, FUTEX_TIMED, SLEEPER, EPOLLER, READER, N };
static volatile pid_t tids[N];
static volatile int word_plain, word_timed; /* 0 = wait, 1 = go */
static volatile int in_call[N];
static volatile int stopping;
static char outcome[N][128];
static int epfd, pipefd[2];

static long futex(volatile int *w, int op, int val, const struct timespec *ts) {
    return syscall(SYS_futex, w, op, val, ts, NULL, 0);
}

static void *run(void *arg) {
    long i = (long) arg;
    tids[i] = th_gettid();
    int eintr = 0, calls = 0;
    for (;;) {
        calls++;
        in_call[i] = 1;
        if (i == FUTEX_PLAIN || i == FUTEX_TIMED) {
            volatile int *w = i == FUTEX_PLAIN ? &word_plain : &word_timed;
            struct timespec ts = {3600, 0};
            if (*w) break;
            long r = futex(w, FUTEX_WAIT_PRIVATE, 0, i == FUTEX_TIMED ? &ts : NULL);
            if (r == -1 && errno == EINTR) eintr++;
            else if (r == -1 && errno != EAGAIN) { snprintf(outcome[i], 128, "futex errno %d", errno); return NULL; }
            else if (r == 0 && !*w && !stopping) { snprintf(outcome[i], 128, "futex woke with the word unset"); return NULL; }
            if (calls > 1000) { snprintf(outcome[i], 128, "futex keeps returning"); return NULL; }
        } else if (i == SLEEPER) {
            struct timespec req = {30, 0}, rem = {-1, -1};
            int r = nanosleep(&req, &rem);
            if (r == 0 || errno != EINTR) { snprintf(outcome[i], 128, "nanosleep returned %d errno %d", r, errno); return NULL; }
            if (rem.tv_sec < 0 || rem.tv_sec > 30 || rem.tv_nsec < 0 || rem.tv_nsec >= 1000000000L) {
                snprintf(outcome[i], 128, "nanosleep remaining time is garbage"); return NULL;
            }
            eintr++;
            if (stopping) break;
        } else if (i == EPOLLER) {
            struct epoll_event ev;
            int r = epoll_wait(epfd, &ev, 1, 30000);
            if (r == -1 && errno == EINTR) { eintr++; if (stopping) break; continue; }
            /* after restore the epoll descriptor is not restored yet (descriptors are another kind of state) */
            snprintf(outcome[i], 128, "PASS eintr=%d then %d errno %d", eintr, r, r < 0 ? errno : 0);
            break;
        } else {
            char b[8];
            ssize_t r = read(pipefd[0], b, sizeof b);
            if (r == -1 && errno == EINTR) { eintr++; if (stopping) break; continue; }
            if (r == 0) { snprintf(outcome[i], 128, "PASS eintr=%d eof=1", eintr); break; }
            snprintf(outcome[i], 128, "read returned %zd errno %d", r, errno);
            return NULL;
        }
    }
    if (th_gettid() != tids[i]) { snprintf(outcome[i], 128, "gettid changed"); return NULL; }
    if (outcome[i][0] == 0) snprintf(outcome[i], 128, "PASS eintr=%d", eintr);
    while (!stopping) { /* stay alive until the main thread ends it all */
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void noop(int sig) { (void) sig; }

int main(int argc, char **argv) {
    fx_init(argc, argv);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = noop; /* SIGUSR2 interrupts a thread's call without SA_RESTART */
    sigaction(SIGUSR2, &sa, NULL);
    epfd = epoll_create1(0);
    FX_CHECK(epfd >= 0 && pipe(pipefd) == 0, "epoll_create1 or pipe");
    pthread_t t[N];
    for (long i = 0; i < N; i++) t[i] = th_start(run, (void *) i);
    for (int i = 0; i < N; i++) {
        char path[64];
        while (!tids[i]) sched_yield();
        for (;;) { /* wait until the thread sleeps in the kernel */
            snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int) tids[i]);
            FILE *f = fopen(path, "r");
            char st = 0;
            if (f) { fscanf(f, "%*d (%*[^)]) %c", &st); fclose(f); }
            if (st == 'S') break;
            sched_yield();
        }
    }
    th_report_tids(tids, N);
    fx_ready();
    fx_wait();

    word_plain = 1;
    futex(&word_plain, FUTEX_WAKE_PRIVATE, 1, NULL);
    word_timed = 1;
    futex(&word_timed, FUTEX_WAKE_PRIVATE, 1, NULL);
    stopping = 1;
    pthread_kill(t[SLEEPER], SIGUSR2);
    pthread_kill(t[EPOLLER], SIGUSR2);
    pthread_kill(t[READER], SIGUSR2);
    char all[1024] = "";
    for (int i = 0; i < N; i++) {
        th_join(t[i], "a blocked thread");
        if (strncmp(outcome[i], "PASS", 4) != 0) fx_fail("thread %d: %s", i, outcome[i]);
        snprintf(all + strlen(all), sizeof all - strlen(all), "%s%s", i ? "," : "", outcome[i] + 5);
    }
    fx_pass_with("%s", all);
}
