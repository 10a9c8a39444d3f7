// SPDX-License-Identifier: Apache-2.0
/*
 * Counts SIGUSR2 deliveries in a handler while the main loop counts too (and writes its count
 * to <dir>/counter): a target that is being signalled all through its capture.
 */
#include "fixture.h"

static volatile unsigned long delivered;

static void on_usr2(int sig) { (void) sig; delivered++; }

int main(int argc, char **argv) {
    fx_init(argc, argv);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
    int out = open(fx_path("counter"), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    unsigned long count = 0;
    fx_ready();
    while (!fx_go) {
        count++;
        if ((count & 0xfffff) == 0) {
            char text[32];
            int n = snprintf(text, sizeof text, "%020lu\n", count);
            pwrite(out, text, n, 0);
        }
    }
    fx_pass_with("delivered=%lu", delivered);
}
