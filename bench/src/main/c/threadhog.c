// SPDX-License-Identifier: Apache-2.0
/*
 * Bench target for threads: touches N MiB of anonymous memory (as memhog does), then starts T-1
 * threads and sleeps. Half the threads wait on a condition variable that is never signalled,
 * half sleep in 10 ms nanosleeps, as a busy server's idle pool would. Prints "ready N T".
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static uint64_t x = 88172645463325252ull;
static uint64_t next(void) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; }

static void *waiter(void *arg) {
    (void) arg;
    pthread_mutex_lock(&m);
    for (;;) pthread_cond_wait(&never, &m);
    return NULL;
}

static void *sleeper(void *arg) {
    (void) arg;
    for (;;) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 256;
    int threads = argc > 2 ? atoi(argv[2]) : 64;
    size_t len = mib << 20;
    uint8_t *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    for (size_t off = 0; off < len; off += 8) {
        uint64_t v = (off & 8) ? next() : (off >> 12);
        memcpy(p + off, &v, 8);
    }
    for (int i = 1; i < threads; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, i % 2 ? waiter : sleeper, NULL) != 0) { perror("pthread_create"); return 1; }
    }
    printf("ready %zu %d\n", mib, threads);
    fflush(stdout);
    for (;;) pause();
}
