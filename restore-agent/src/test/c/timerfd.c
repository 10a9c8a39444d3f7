// SPDX-License-Identifier: Apache-2.0
/*
 * timerfds: a periodic monotonic timer far from due, a realtime one-shot that expired and was
 * not read (one tick pending), a disarmed boottime timer. After restore the first must have at
 * most the time it had left and the same interval, and fire; the second's tick must read at
 * once; the third must stay disarmed. Reports the first timer's time left (ns) after restore.
 */
#include "fixture.h"
#include <stdint.h>
#include <time.h>
#include <sys/timerfd.h>

int main(int argc, char **argv) {
    fx_init(argc, argv);
    int periodic = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct itimerspec its = {.it_interval = {0, 300000000}, .it_value = {3, 0}};
    FX_CHECK(periodic >= 0 && timerfd_settime(periodic, 0, &its, NULL) == 0, "periodic");
    int expired = timerfd_create(CLOCK_REALTIME, 0);
    struct itimerspec once = {.it_value = {0, 20000000}};
    FX_CHECK(expired >= 0 && timerfd_settime(expired, 0, &once, NULL) == 0, "one-shot");
    int disarmed = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
    FX_CHECK(disarmed >= 0, "disarmed");
    struct timespec nap = {0, 100000000};
    nanosleep(&nap, NULL);
    fx_ready();
    fx_wait();
    struct itimerspec now;
    FX_CHECK(timerfd_gettime(periodic, &now) == 0, "gettime");
    long left = now.it_value.tv_sec * 1000000000L + now.it_value.tv_nsec;
    FX_CHECK(now.it_interval.tv_sec == 0 && now.it_interval.tv_nsec == 300000000, "interval %ld.%09ld",
             (long) now.it_interval.tv_sec, now.it_interval.tv_nsec);
    FX_CHECK(left > 0, "periodic timer disarmed");
    uint64_t ticks = 0;
    FX_CHECK(read(expired, &ticks, 8) == 8 && ticks == 1, "pending tick of the one-shot: %llu", (unsigned long long) ticks);
    FX_CHECK(timerfd_gettime(disarmed, &now) == 0 && now.it_value.tv_sec == 0 && now.it_value.tv_nsec == 0,
             "disarmed timer armed");
    FX_CHECK(read(disarmed, &ticks, 8) == -1 && errno == EAGAIN, "disarmed timer ticked");
    int flags = fcntl(periodic, F_GETFL);
    FX_CHECK(flags & O_NONBLOCK, "O_NONBLOCK lost");
    fcntl(periodic, F_SETFL, flags & ~O_NONBLOCK);
    FX_CHECK(read(periodic, &ticks, 8) == 8 && ticks >= 1, "periodic timer did not fire");
    fx_pass_with("%ld", left);
}
