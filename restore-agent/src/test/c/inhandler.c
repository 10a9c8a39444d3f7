// SPDX-License-Identifier: Apache-2.0
/*
 * Checkpointed while inside a signal handler running on the alternate stack: SIGUSR2's handler
 * waits (in pause) for SIGUSR1. After restore, SIGUSR1 ends the wait (its handler nests on the
 * same alternate stack), the handler returns through the signal frame (rt_sigreturn), the mask
 * from before the handler comes back, the alternate stack is no longer in use, and main
 * carries on.
 */
#include "fixture.h"
#include <stdint.h>

#define ALT_SIZE (64 * 1024)

static char *alt;
static volatile sig_atomic_t in_handler, handler_done, on_alt, alt_flags_inside;

static void on_usr2(int sig) {
    (void) sig;
    char local;
    in_handler = 1;
    on_alt = (uintptr_t) &local >= (uintptr_t) alt && (uintptr_t) &local < (uintptr_t) alt + ALT_SIZE;
    fx_ready();
    while (!fx_go) pause();
    stack_t ss;
    sigaltstack(NULL, &ss);
    alt_flags_inside = ss.ss_flags;
    handler_done = 1;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    alt = malloc(ALT_SIZE);
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0};
    FX_CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGHUP); /* blocked only while the handler runs */
    sigaction(SIGUSR2, &sa, NULL);
    volatile long before = 0x1234567;
    raise(SIGUSR2);
    FX_CHECK(in_handler && handler_done, "handler did not run to its end");
    FX_CHECK(on_alt, "the handler did not run on the alternate stack");
    FX_CHECK(alt_flags_inside == SS_ONSTACK, "inside the handler after restore, ss_flags %d", alt_flags_inside);
    stack_t after;
    sigaltstack(NULL, &after);
    FX_CHECK(after.ss_sp == alt && after.ss_size == ALT_SIZE && after.ss_flags == 0, "alt stack after: %p %zu %d",
             after.ss_sp, after.ss_size, after.ss_flags);
    FX_CHECK(before == 0x1234567, "main's locals changed");
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    FX_CHECK(!sigismember(&now, SIGUSR2) && !sigismember(&now, SIGHUP), "the handler's mask stayed after it returned");
    fx_pass();
}
