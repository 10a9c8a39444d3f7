// SPDX-License-Identifier: Apache-2.0
/*
 * A signal that arrived while blocked stays pending across checkpoint and restore: the test
 * sends SIGTERM (blocked) before the checkpoint; afterwards sigpending() still shows it.
 */
#include "fixture.h"

int main(int argc, char **argv) {
    fx_init(argc, argv);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, NULL);
    fx_ready();
    fx_wait();
    sigset_t pending;
    sigpending(&pending);
    FX_CHECK(sigismember(&pending, SIGTERM), "the pending SIGTERM was lost");
    fx_pass();
}
