// SPDX-License-Identifier: Apache-2.0
/*
 * Bench target for the cost of remote system calls: catches every signal it can (so a capture
 * asks for each action with a remote rt_sigaction, about 60 remote calls), touches N MiB like
 * memhog, prints "ready", then sleeps in a loop.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

static void on_signal(int sig) { (void) sig; }

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 64;
    size_t len = mib << 20;
    uint8_t *p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); return 1; }
    for (size_t off = 0; off < len; off += 4096) p[off] = (uint8_t) (off >> 12);
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == 32 || sig == 33) continue;
        struct sigaction sa = {0};
        sa.sa_handler = on_signal;
        sigaction(sig, &sa, NULL);
    }
    printf("ready %zu\n", mib);
    fflush(stdout);
    for (;;) sleep(1);
}
