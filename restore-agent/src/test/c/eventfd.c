// SPDX-License-Identifier: Apache-2.0
/* eventfds: a 64-bit counter (more than eventfd2's 32-bit initial value), O_NONBLOCK, and a semaphore with FD_CLOEXEC. */
#include "fixture.h"
#include <stdint.h>
#include <poll.h>
#include <sys/eventfd.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int big = eventfd(5, EFD_NONBLOCK);
    uint64_t add = 1ULL << 40;
    FX_CHECK(big >= 0 && write(big, &add, 8) == 8, "eventfd big");
    int sem = eventfd(3, EFD_SEMAPHORE | EFD_CLOEXEC);
    FX_CHECK(sem >= 0, "eventfd sem");
    fx_ready();
    fx_wait();
    uint64_t v = 0;
    FX_CHECK(read(big, &v, 8) == 8 && v == (1ULL << 40) + 5, "counter %llu", (unsigned long long) v);
    FX_CHECK(read(big, &v, 8) == -1 && errno == EAGAIN, "O_NONBLOCK lost or counter not emptied");
    for (int i = 0; i < 3; i++) {
        FX_CHECK(read(sem, &v, 8) == 8 && v == 1, "semaphore read %d gave %llu", i, (unsigned long long) v);
    }
    struct pollfd p = {.fd = sem, .events = POLLIN};
    FX_CHECK(poll(&p, 1, 0) == 0, "semaphore still readable after 3 reads");
    FX_CHECK(fcntl(sem, F_GETFD) & FD_CLOEXEC, "FD_CLOEXEC lost");
    FX_CHECK(!(fcntl(big, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC appeared");
    fx_pass();
}
