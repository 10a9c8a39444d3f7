// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.List;

/**
 * The process's timers: interval timers (setitimer, alarm) and POSIX timers (timer_create).
 * Times are what was left at the capture: a restored timer fires that long after the restore.
 */
public record ProcessTimers(List<IntervalTimer> intervalTimers, List<PosixTimer> posixTimers) {
    public static final ProcessTimers NONE = new ProcessTimers(List.of(), List.of());

    public ProcessTimers {
        intervalTimers = intervalTimers == null ? List.of() : List.copyOf(intervalTimers);
        posixTimers = posixTimers == null ? List.of() : List.copyOf(posixTimers);
    }

    /** @param which ITIMER_REAL (0), ITIMER_VIRTUAL (1) or ITIMER_PROF (2); only armed ones are listed */
    public record IntervalTimer(int which, long remainingMicros, long intervalMicros) {
    }

    /**
     * @param id        the timer's id, which the program holds as its timer_t
     * @param clockId   the clock it counts
     * @param notifyHow the kernel's sigev_notify: SIGEV_SIGNAL (0), SIGEV_NONE (1), SIGEV_THREAD (2),
     *                  or SIGEV_SIGNAL | SIGEV_THREAD_ID (4) for a timer that signals one thread
     *                  (glibc's SIGEV_THREAD timers are of this kind, aimed at its helper thread)
     * @param signal    the signal it sends
     * @param value     the sigval handed to the handler
     * @param remainingNanos time left, 0 when disarmed
     * @param targetTid for SIGEV_THREAD_ID, the thread it signals, as the process sees its tid (one of
     *                  the image's {@link ThreadState#tid()}); 0 otherwise, and in images from before
     *                  threads, whose thread timers signalled the main thread
     */
    public record PosixTimer(int id, int clockId, int notifyHow, int signal, long value, long remainingNanos,
                             long intervalNanos, int targetTid) {
        public static final int SIGEV_THREAD_ID = 4;

        public boolean signalsOneThread() {
            return (notifyHow & SIGEV_THREAD_ID) != 0;
        }
    }
}
