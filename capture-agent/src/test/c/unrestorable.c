// SPDX-License-Identifier: Apache-2.0
/*
 * A process holding state a restore could not rebuild (argv[2]): "cwd" sits in <dir>/gone,
 * which the test then deletes; "map" maps the file argv[3] (the test then takes read
 * permission away from the fixture's user); "child" forks a child that sleeps (its pid in
 * <dir>/child); "threads" runs three more threads that count too (no child); "threadchild"
 * has a second thread fork the sleeping child (its pid in <dir>/child);
 * "sealed" seals a page of its memory with mseal (its address in <dir>/sealed);
 * "plain" holds nothing special. It counts in <dir>/counter.
 */
#include "fixture.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

static volatile unsigned long spins[3];

static void *spin(void *arg) {
    volatile unsigned long *n = arg;
    for (;;) {
        (*n)++;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *fork_child(void *arg) {
    (void) arg;
    pid_t c = fork();
    FX_CHECK(c >= 0, "fork");
    if (c == 0) {
        for (;;) pause();
    }
    fx_report("child", "%d\n", (int) c);
    return NULL;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    const char *what = argc > 2 ? argv[2] : "plain";
    if (strcmp(what, "cwd") == 0) {
        FX_CHECK(mkdir(fx_path("gone"), 0777) == 0 || errno == EEXIST, "mkdir");
        FX_CHECK(chdir(fx_path("gone")) == 0, "chdir");
    } else if (strcmp(what, "map") == 0) {
        FX_CHECK(argc > 3, "map needs a file");
        int fd = open(argv[3], O_RDONLY);
        FX_CHECK(fd >= 0, "open %s", argv[3]);
        FX_CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) != MAP_FAILED, "mmap");
        close(fd);
    } else if (strcmp(what, "child") == 0) {
        pid_t c = fork();
        FX_CHECK(c >= 0, "fork");
        if (c == 0) {
            for (;;) pause();
        }
        fx_report("child", "%d\n", (int) c);
    } else if (strcmp(what, "threads") == 0) {
        for (int i = 0; i < 3; i++) {
            pthread_t t;
            FX_CHECK(pthread_create(&t, NULL, spin, (void *) &spins[i]) == 0, "pthread_create");
        }
    } else if (strcmp(what, "sealed") == 0) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        FX_CHECK(p != MAP_FAILED, "mmap");
        memset(p, 7, 4096);
        FX_CHECK(syscall(462 /* mseal */, p, 4096, 0) == 0, "mseal: %s", strerror(errno));
        fx_report("sealed", "%lx\n", (unsigned long) p);
    } else if (strcmp(what, "threadchild") == 0) {
        pthread_t t;
        FX_CHECK(pthread_create(&t, NULL, fork_child, NULL) == 0, "pthread_create");
        FX_CHECK(pthread_join(t, NULL) == 0, "pthread_join");
        FX_CHECK(pthread_create(&t, NULL, spin, (void *) &spins[0]) == 0, "pthread_create");
    }
    char counter[4096];
    snprintf(counter, sizeof counter, "%s/counter", fx_dir);
    int fd = open(counter, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(fd >= 0, "open counter");
    fx_ready();
    unsigned long n = 0;
    while (!fx_go) {
        n++;
        char text[32];
        int len = snprintf(text, sizeof text, "%020lu\n", n);
        pwrite(fd, text, len, 0);
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
    fx_pass_with("%lu", n);
}
