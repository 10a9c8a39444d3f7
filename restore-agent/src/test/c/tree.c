// SPDX-License-Identifier: Apache-2.0
/*
 * A process tree. The parent P (a session leader, started with setsid) maps shared anonymous
 * memory, opens a file whose offset its children share, fills a pipe to its child, and forks:
 *   A: setsid() (a session of its own); forks G and Z; counts in the shared memory
 *   G: child of A, setpgid(0, 0) (a group of its own in A's session); counts in the shared memory
 *   Z: child of A, exits with status 7 at once; A does not reap it (a zombie at capture)
 * P writes "pids" (A G Z) once all are set up, then waits for SIGUSR1. After restore P checks
 * that A and G still count (their writes reach P's memory), then sets go: A checks its parent,
 * session, the pipe's bytes, writes "A" through the shared file offset, reaps Z (status 7),
 * stops G and reaps it (status 0) and exits 0 if all held (another code names the first
 * failure); P reaps A, writes "P2" and reads the file back: "P1AP2" only if the offset is one.
 */
#include "fixture.h"
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

struct shared {
    volatile long a, g;
    volatile int ready_a, ready_g, go, stop;
    volatile int a_fail;
};

static void nap(void) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    FX_CHECK(s != MAP_FAILED, "mmap shared");
    int p2c[2];
    FX_CHECK(pipe(p2c) == 0, "pipe");
    FX_CHECK(write(p2c[1], "hello child", 11) == 11, "write pipe");
    int f = open(fx_path("shared.txt"), O_RDWR | O_CREAT | O_TRUNC, 0666);
    FX_CHECK(f >= 0 && write(f, "P1", 2) == 2, "file");
    pid_t root = getpid();

    pid_t a = fork();
    FX_CHECK(a >= 0, "fork A");
    if (a == 0) {
        close(p2c[1]);
        if (setsid() != getpid()) { _exit(20); }
        pid_t z = fork();
        if (z == 0) { _exit(7); }
        pid_t g = fork();
        if (g == 0) {
            if (setpgid(0, 0) != 0) { _exit(21); }
            s->ready_g = 1;
            while (!s->stop) { s->g++; nap(); }
            _exit(0);
        }
        siginfo_t info;
        if (waitid(P_PID, z, &info, WEXITED | WNOWAIT) != 0) { _exit(22); } /* a zombie, not reaped */
        s->ready_a = 1;
        while (!s->go) { s->a++; nap(); }
        int fail = 0;
        char buf[16] = {0};
        if (getppid() != root) fail = 1;
        else if (getsid(0) != getpid() || getpgid(0) != getpid()) fail = 2;
        else if (getpgid(g) != g || getsid(g) != getpid()) fail = 3;
        else if (read(p2c[0], buf, 11) != 11 || memcmp(buf, "hello child", 11) != 0) fail = 4;
        else if (write(f, "A", 1) != 1) fail = 5;
        int st;
        if (!fail && (waitpid(z, &st, 0) != z || !WIFEXITED(st) || WEXITSTATUS(st) != 7)) fail = 6;
        s->stop = 1;
        if (!fail && (waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) fail = 7;
        s->a_fail = fail;
        _exit(fail);
    }
    close(p2c[0]);
    while (!s->ready_a || !s->ready_g) { nap(); }
    fx_report("pids", "%d\n", (int) a);
    fx_ready();
    fx_wait();

    long a0 = s->a, g0 = s->g;
    for (int i = 0; i < 5000 && (s->a == a0 || s->g == g0); i++) { nap(); }
    FX_CHECK(s->a != a0, "A does not count any more (or its writes do not reach the parent)");
    FX_CHECK(s->g != g0, "G does not count any more (or its writes do not reach the parent)");
    s->go = 1;
    int st;
    FX_CHECK(waitpid(a, &st, 0) == a, "waitpid A: %s", strerror(errno));
    FX_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "A failed check %d (status %#x)", WEXITSTATUS(st), st);
    FX_CHECK(write(f, "P2", 2) == 2, "write P2");
    char back[16] = {0};
    FX_CHECK(pread(f, back, sizeof back - 1, 0) == 5 && strcmp(back, "P1AP2") == 0, "file holds '%s'", back);
    fx_pass_with("a=%ld g=%ld", s->a, s->g);
}
