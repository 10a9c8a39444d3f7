// SPDX-License-Identifier: Apache-2.0
/*
 * Cryostash test fixtures: the protocol every fixture program follows (like CRIU's zdtm).
 *
 *   prog <dir> [args...]
 *
 * The fixture sets up its state, calls fx_ready() (writes <dir>/ready holding its pid), then
 * waits. The test checkpoints and restores it and sends SIGUSR1; the fixture's handler sets
 * fx_go, the main loop checks every piece of its state and ends with fx_pass() or
 * fx_fail("what"), which write PASS or FAIL:<what> to <dir>/result and exit. Files are
 * written under a temporary name and renamed, so the test never reads half a file.
 */
#ifndef CRYOSTASH_FIXTURE_H
#define CRYOSTASH_FIXTURE_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fx_dir;
static volatile sig_atomic_t fx_go;

static void fx_on_usr1(int sig) { (void) sig; fx_go = 1; }

/* dir/name in a static buffer (one at a time). */
static const char *fx_path(const char *name) {
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", fx_dir, name);
    return buf;
}

/* Writes a whole small file atomically: tmp file, then rename. */
static void fx_write_file(const char *name, const char *text) {
    char tmp[4096], dst[4096];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", fx_dir, name);
    snprintf(dst, sizeof dst, "%s/%s", fx_dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) { _exit(90); }
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t) n) { _exit(91); }
    close(fd);
    if (rename(tmp, dst) != 0) { _exit(92); }
}

/* Writes "name" with a printf-formatted value. */
static void fx_report(const char *name, const char *fmt, ...) {
    char text[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    fx_write_file(name, text);
}

/*
 * Takes the directory from argv[1] and catches SIGUSR1 (without SA_RESTART). Starts from a
 * clean signal state: a JVM's threads block SIGQUIT and a shell without job control starts
 * background jobs with SIGINT and SIGQUIT ignored; both would leak into the fixture.
 */
static void fx_init(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s <dir> [args]\n", argv[0]); exit(2); }
    fx_dir = argv[1];
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fx_on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

static void fx_ready(void) { fx_report("ready", "%d\n", (int) getpid()); }

__attribute__((noreturn)) static void fx_pass_with(const char *fmt, ...) {
    char text[3000], line[3100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "PASS %s\n", text);
    fx_write_file("result", line);
    exit(0);
}

__attribute__((noreturn)) static void fx_pass(void) {
    fx_write_file("result", "PASS\n");
    exit(0);
}

__attribute__((noreturn)) static void fx_fail(const char *fmt, ...) {
    char text[3000], line[3100];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "FAIL:%s\n", text);
    fx_write_file("result", line);
    exit(1);
}

#define FX_CHECK(cond, ...) do { if (!(cond)) { fx_fail(__VA_ARGS__); } } while (0)

/* Waits for SIGUSR1 in pause(). */
static void fx_wait(void) {
    while (!fx_go) {
        pause();
    }
}

#endif
