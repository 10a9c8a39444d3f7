// SPDX-License-Identifier: Apache-2.0
/*
 * Threads in states capture must take or refuse. argv[2] picks one:
 *   churn     8 steady workers count; the main thread keeps starting short-lived detached
 *             threads, so threads appear and exit all through every capture
 *   seccomp   one worker installs a seccomp filter (allow everything) on itself only
 *   setuid    one worker switches its own uid with a raw setresuid (not glibc's, which would
 *             switch every thread)
 *   mainexit  the main thread ends with pthread_exit while a worker runs on
 *   vfork     one worker vforks a child that sleeps 30 s: the worker waits in the kernel,
 *             where ptrace interrupts do not reach it, until the child exits
 * Workers write their counts to <dir>/counter; SIGUSR1 makes it check and write PASS.
 */
#include "fixture.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sched.h>
#include <time.h>

#define WORKERS 8
static volatile unsigned long counts[WORKERS];
static volatile unsigned long spawned;
static const char *mode;
static int counter_fd;

static volatile pid_t worker_tids[WORKERS];

static void *worker(void *arg) {
    long i = (long) arg;
    sigset_t usr1; /* SIGUSR1 is for the main thread, which waits for it in pause() */
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    worker_tids[i] = (pid_t) syscall(SYS_gettid);
    if (i == 0 && strcmp(mode, "seccomp") == 0) {
        struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        struct sock_fprog prog = {1, allow};
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) _exit(80);
    }
    if (i == 0 && strcmp(mode, "setuid") == 0) {
        if (syscall(SYS_setresuid, 0, 65534, 0) != 0) _exit(81);
    }
    if (i == 0 && strcmp(mode, "vfork") == 0) {
        pid_t c = vfork();
        if (c == 0) { /* neither exec nor exit for 30 s: the parent thread waits all that time */
            struct timespec ts = {30, 0};
            syscall(SYS_nanosleep, &ts, NULL);
            _exit(0);
        }
    }
    for (;;) {
        counts[i]++;
        if (i == 1 && (counts[i] & 0xffff) == 0) {
            char text[32];
            int n = snprintf(text, sizeof text, "%020lu\n", counts[i]);
            pwrite(counter_fd, text, n, 0);
        }
    }
    return NULL;
}

static void *short_lived(void *arg) {
    (void) arg;
    spawned++;
    return NULL;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    mode = argc > 2 ? argv[2] : "churn";
    counter_fd = open(fx_path("counter"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(counter_fd >= 0, "open counter");
    for (long i = 0; i < WORKERS; i++) {
        pthread_t t;
        FX_CHECK(pthread_create(&t, NULL, worker, (void *) i) == 0, "pthread_create");
    }
    char tids[256] = "";
    for (int i = 0; i < WORKERS; i++) {
        while (!worker_tids[i]) sched_yield();
        snprintf(tids + strlen(tids), sizeof tids - strlen(tids), "%d\n", (int) worker_tids[i]);
    }
    fx_write_file("workers", tids);
    fx_ready();
    if (strcmp(mode, "mainexit") == 0) {
        pthread_exit(NULL);
    }
    while (!fx_go) {
        if (strcmp(mode, "churn") == 0) {
            pthread_t t;
            pthread_attr_t a;
            pthread_attr_init(&a);
            pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
            if (pthread_create(&t, &a, short_lived, NULL) != 0) {
                fx_fail("pthread_create of a short-lived thread");
            }
            pthread_attr_destroy(&a);
            /* not faster: tids would wrap around pid_max within seconds and collide with other tests */
            struct timespec ts = {0, 500000};
            nanosleep(&ts, NULL);
        } else {
            pause();
        }
    }
    for (int i = 0; i < WORKERS; i++) FX_CHECK(counts[i] > 0, "worker %d never ran", i);
    fx_pass_with("spawned=%lu", spawned);
}
