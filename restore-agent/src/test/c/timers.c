// SPDX-License-Identifier: Apache-2.0
/*
 * Timers: ITIMER_REAL (3 s, then every 0.7 s) with a SIGALRM handler, a POSIX timer on
 * CLOCK_MONOTONIC sending SIGUSR2 with a sigval (2 s, then every 0.5 s), a disarmed POSIX timer
 * and one created after a deleted one (so ids have a gap). After restore each must have at most
 * the time it had left, the same interval, the same id, and fire with its sigval. Reports the
 * time left of the interval timer (us) and the POSIX timer (ns) after restore, and when each
 * last fired (CLOCK_MONOTONIC ns, 0 for never): a timer that fired between the restore and the
 * check has been reloaded with its interval, which the test must tell apart without timing.
 */
#include "fixture.h"
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alarms, usr2;
static volatile long usr2_value;
static volatile int usr2_timer;
static volatile long long last_alarm, last_usr2;

static long long monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1000000000LL + now.tv_nsec;
}

static void on_alarm(int sig) { (void) sig; last_alarm = monotonic_ns(); alarms++; }
static void on_usr2(int sig, siginfo_t *si, void *uc) {
    (void) sig; (void) uc;
    last_usr2 = monotonic_ns();
    usr2++;
    usr2_value = (long) si->si_value.sival_ptr;
    usr2_timer = si->si_timerid;
}

int main(int argc, char **argv) {
    fx_init(argc, argv);
    signal(SIGALRM, on_alarm);
    struct sigaction sa = {.sa_sigaction = on_usr2, .sa_flags = SA_SIGINFO};
    sigaction(SIGUSR2, &sa, NULL);
    struct itimerval it = {.it_interval = {0, 700000}, .it_value = {3, 0}};
    FX_CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer");
    timer_t gone, t, idle;
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
    FX_CHECK(timer_create(CLOCK_MONOTONIC, &ev, &gone) == 0, "timer_create gone");
    ev.sigev_value.sival_ptr = (void *) 0x1234abcdL;
    FX_CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
    timer_delete(gone);
    ev.sigev_value.sival_ptr = NULL;
    FX_CHECK(timer_create(CLOCK_REALTIME, &ev, &idle) == 0, "timer_create idle");
    struct itimerspec ts = {.it_interval = {0, 500000000}, .it_value = {2, 0}};
    FX_CHECK(timer_settime(t, 0, &ts, NULL) == 0, "timer_settime");
    fx_ready();
    fx_wait();
    struct itimerval left;
    getitimer(ITIMER_REAL, &left);
    long long alarm_at = last_alarm; /* read after the timer: a later alarm came after the reading too */
    long real_left = left.it_value.tv_sec * 1000000L + left.it_value.tv_usec;
    FX_CHECK(left.it_interval.tv_sec == 0 && left.it_interval.tv_usec == 700000, "itimer interval");
    struct itimerspec now;
    FX_CHECK(timer_gettime(t, &now) == 0, "timer_gettime: %s (the id did not survive)", strerror(errno));
    long posix_left = now.it_value.tv_sec * 1000000000L + now.it_value.tv_nsec;
    long long usr2_at = last_usr2;
    FX_CHECK(now.it_interval.tv_nsec == 500000000 && now.it_interval.tv_sec == 0, "posix interval");
    FX_CHECK(timer_gettime(idle, &now) == 0 && now.it_value.tv_sec == 0 && now.it_value.tv_nsec == 0,
             "idle timer armed or gone");
    FX_CHECK(timer_gettime(gone, &now) == -1, "a deleted timer came back");
    for (int i = 0; i < 100 && (alarms == 0 || usr2 == 0); i++) {
        struct timespec nap = {0, 100000000};
        nanosleep(&nap, NULL);
    }
    FX_CHECK(alarms > 0, "SIGALRM never came");
    FX_CHECK(usr2 > 0, "the POSIX timer never fired");
    FX_CHECK(usr2_value == 0x1234abcdL, "sigval %lx", usr2_value);
    FX_CHECK(usr2_timer == (int) (long) t, "si_timerid %d, timer %d", usr2_timer, (int) (long) t);
    fx_pass_with("%ld %ld %lld %lld", real_left, posix_left, alarm_at, usr2_at);
}
