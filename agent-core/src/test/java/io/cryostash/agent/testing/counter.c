// SPDX-License-Identifier: Apache-2.0
/*
 * A counter for tests that only need a live, changing process: it counts in a loop and writes
 * the count to <dir>/counter every few milliseconds. argv[2] (optional) is a number of MiB to
 * allocate and touch first (a wide capture window); argv[3] "threads" adds a second thread.
 * SIGUSR1 makes it write "PASS <count>" and exit.
 */
#include "fixture.h"
#include <pthread.h>
#include <time.h>

static volatile unsigned long count;

static void *spin(void *arg) {
    (void) arg;
    for (;;) pause();
    return NULL;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    if (mib) {
        char *big = malloc(mib << 20);
        FX_CHECK(big, "malloc %zu MiB", mib);
        for (size_t i = 0; i < (mib << 20); i += 4096) big[i] = (char) (i >> 12);
    }
    if (argc > 3 && strcmp(argv[3], "threads") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, spin, NULL);
    }
    int fd = open(fx_path("counter"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(fd >= 0, "open counter");
    fx_ready();
    struct timespec last = {0, 0}, now;
    while (!fx_go) {
        count++;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - last.tv_sec) * 1000000000L + (now.tv_nsec - last.tv_nsec) > 5000000L) {
            char text[32];
            int n = snprintf(text, sizeof text, "%020lu\n", count);
            pwrite(fd, text, n, 0);
            last = now;
        }
    }
    fx_pass_with("%lu", count);
}
