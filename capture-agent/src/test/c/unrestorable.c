// SPDX-License-Identifier: Apache-2.0
/*
 * A process holding state a restore could not rebuild (argv[2]): "cwd" sits in <dir>/gone,
 * which the test then deletes; "map" maps the file argv[3] (the test then takes read
 * permission away from the fixture's user); "child" forks a child that sleeps (its pid in
 * <dir>/child);
 * "plain" holds nothing special. It counts in <dir>/counter.
 */
#include "fixture.h"
#include <sys/mman.h>
#include <time.h>

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
