// SPDX-License-Identifier: Apache-2.0
/*
 * Signal state: a SIGUSR2 handler with SA_SIGINFO | SA_RESTART | SA_ONSTACK and a mask of
 * SIGINT and SIGQUIT, SIGHUP ignored, SIGTERM and SIGWINCH blocked, an alternate signal stack.
 * After restore every setting reads back the same, and a raised SIGUSR2 runs the handler on
 * the alternate stack with SIGINT blocked and its siginfo filled in.
 */
#include "fixture.h"
#include <stdint.h>

#define ALT_SIZE (64 * 1024)

static char *alt;
static volatile sig_atomic_t handled, on_alt, mask_ok, info_ok;

static void on_usr2(int sig, siginfo_t *si, void *uc) {
    (void) uc;
    char local;
    handled++;
    on_alt = (uintptr_t) &local >= (uintptr_t) alt && (uintptr_t) &local < (uintptr_t) alt + ALT_SIZE;
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    mask_ok = sigismember(&now, SIGINT) && sigismember(&now, SIGQUIT) && sigismember(&now, SIGUSR2)
              && sigismember(&now, SIGTERM);
    info_ok = sig == SIGUSR2 && si->si_signo == SIGUSR2 && si->si_pid == getpid();
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    alt = malloc(ALT_SIZE);
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0};
    FX_CHECK(sigaltstack(&ss, NULL) == 0, "sigaltstack");

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr2;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGQUIT);
    FX_CHECK(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction");
    signal(SIGHUP, SIG_IGN);

    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGWINCH);
    sigprocmask(SIG_BLOCK, &block, NULL);

    raise(SIGUSR2);
    FX_CHECK(handled == 1 && on_alt && mask_ok && info_ok, "handler before checkpoint: %d %d %d %d", handled,
             on_alt, mask_ok, info_ok);
    handled = 0;
    fx_ready();
    fx_wait();

    struct sigaction now;
    sigaction(SIGUSR2, NULL, &now);
    FX_CHECK(now.sa_sigaction == on_usr2, "SIGUSR2 handler changed");
    FX_CHECK((now.sa_flags & (SA_SIGINFO | SA_RESTART | SA_ONSTACK)) == (SA_SIGINFO | SA_RESTART | SA_ONSTACK),
             "SIGUSR2 flags %#x", now.sa_flags);
    FX_CHECK(sigismember(&now.sa_mask, SIGINT) && sigismember(&now.sa_mask, SIGQUIT)
             && !sigismember(&now.sa_mask, SIGTERM), "SIGUSR2 sa_mask changed");
    sigaction(SIGHUP, NULL, &now);
    FX_CHECK(now.sa_handler == SIG_IGN, "SIGHUP is no longer ignored");
    sigaction(SIGINT, NULL, &now);
    FX_CHECK(now.sa_handler == SIG_DFL, "SIGINT is no longer default");
    sigaction(SIGUSR1, NULL, &now);
    FX_CHECK(now.sa_handler == fx_on_usr1 && !(now.sa_flags & SA_RESTART), "SIGUSR1 handler changed");

    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    FX_CHECK(sigismember(&mask, SIGTERM) && sigismember(&mask, SIGWINCH), "blocked set lost SIGTERM/SIGWINCH");
    FX_CHECK(!sigismember(&mask, SIGUSR1) && !sigismember(&mask, SIGUSR2), "SIGUSR1/2 became blocked");

    stack_t got;
    FX_CHECK(sigaltstack(NULL, &got) == 0, "sigaltstack query");
    FX_CHECK(got.ss_sp == alt && got.ss_size == ALT_SIZE && got.ss_flags == 0,
             "alt stack %p/%zu/%d, want %p/%d/0", got.ss_sp, got.ss_size, got.ss_flags, alt, ALT_SIZE);

    raise(SIGUSR2);
    FX_CHECK(handled == 1, "SIGUSR2 handler did not run after restore");
    FX_CHECK(on_alt, "handler did not run on the alternate stack");
    FX_CHECK(mask_ok, "handler ran without its sa_mask / blocked set");
    FX_CHECK(info_ok, "handler got a wrong siginfo");
    fx_pass();
}
