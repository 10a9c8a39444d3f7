// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.util.Map;

/**
 * How long each phase of one freeze took.
 *
 * @param nanos      time per phase; phases that did not run are absent
 * @param preCopyNanos time spent copying while the process ran, before the freeze (0 without pre-copy)
 */
public record FreezePhases(Map<FreezePhase, Long> nanos, long preCopyNanos) {
    public FreezePhases {
        nanos = Map.copyOf(nanos);
    }

    public long of(FreezePhase phase) {
        return nanos.getOrDefault(phase, 0L);
    }

    /** e.g. {@code stop 1.2, registers 0.3, …} in milliseconds, in phase order; "not measured" when none were. */
    public String format() {
        return io.cryostash.agent.timing.PhaseTimes.format(nanos);
    }
}
