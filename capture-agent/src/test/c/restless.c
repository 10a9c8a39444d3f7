// SPDX-License-Identifier: Apache-2.0
/*
 * A target that changes while it is captured (argv[2]): "exit" ends on its own after argv[3]
 * milliseconds; "fork" starts a child that ends at once, every millisecond; "thread" starts a
 * second thread after argv[3] milliseconds. Otherwise it counts in <dir>/counter. SIGUSR1:
 * PASS with its count.
 */
#include "fixture.h"
#include <pthread.h>
#include <time.h>

static void *idle(void *arg) {
    (void) arg;
    for (;;) pause();
    return NULL;
}

static long ms_since(const struct timespec *t0) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    const char *what = argc > 2 ? argv[2] : "exit";
    long after = argc > 3 ? strtol(argv[3], NULL, 10) : 20;
    if (strcmp(what, "fork") == 0) {
        signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
    }
    int fd = open(fx_path("counter"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(fd >= 0, "open counter");
    fx_ready();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int threaded = 0;
    unsigned long n = 0;
    while (!fx_go) {
        n++;
        char text[32];
        int len = snprintf(text, sizeof text, "%020lu\n", n);
        pwrite(fd, text, len, 0);
        if (strcmp(what, "exit") == 0 && ms_since(&t0) >= after) {
            _exit(0);
        }
        if (strcmp(what, "fork") == 0) {
            pid_t c = fork();
            if (c == 0) _exit(0);
        }
        if (strcmp(what, "thread") == 0 && !threaded && ms_since(&t0) >= after) {
            pthread_t t;
            pthread_create(&t, NULL, idle, NULL);
            threaded = 1;
        }
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    fx_pass_with("%lu", n);
}
