// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

/**
 * A timerfd. Times are relative to the capture: the timer fires {@code remainingNanos} after
 * the restored process runs again (0 = disarmed), then every {@code intervalNanos}.
 *
 * @param clockId  CLOCK_REALTIME (0), CLOCK_MONOTONIC (1), CLOCK_BOOTTIME (7), …
 * @param ticks    expirations that happened and were not read yet
 */
public record TimerfdFile(int clockId, long remainingNanos, long intervalNanos, long ticks) implements OpenFile {
}
