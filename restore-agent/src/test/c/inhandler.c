/*
 * Checkpointed while inside a signal handler: SIGUSR2's handler waits (in pause) for SIGUSR1.
 * After restore, SIGUSR1 ends the wait, the handler returns through the signal frame on the
 * stack (rt_sigreturn), the mask from before the handler comes back, and main carries on.
 */
#include "fixture.h"

static volatile sig_atomic_t in_handler, handler_done;

static void on_usr2(int sig) {
    (void) sig;
    in_handler = 1;
    fx_ready();
    while (!fx_go) pause();
    handler_done = 1;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGHUP); /* blocked only while the handler runs */
    sigaction(SIGUSR2, &sa, NULL);
    volatile long before = 0x1234567;
    raise(SIGUSR2);
    FX_CHECK(in_handler && handler_done, "handler did not run to its end");
    FX_CHECK(before == 0x1234567, "main's locals changed");
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    FX_CHECK(!sigismember(&now, SIGUSR2) && !sigismember(&now, SIGHUP), "the handler's mask stayed after it returned");
    fx_pass();
}
