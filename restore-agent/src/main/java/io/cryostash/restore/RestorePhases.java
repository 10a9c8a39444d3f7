// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.util.Map;

/**
 * How long each phase of one restore took.
 *
 * @param nanos time per phase; phases that did not run are absent
 */
public record RestorePhases(Map<RestorePhase, Long> nanos) {
    public static final RestorePhases NONE = new RestorePhases(Map.of());

    public RestorePhases {
        nanos = Map.copyOf(nanos);
    }

    public long of(RestorePhase phase) {
        return nanos.getOrDefault(phase, 0L);
    }

    /** e.g. {@code read image 12.3, check 0.4, …} in milliseconds, in phase order; "not measured" when none were. */
    public String format() {
        return io.cryostash.agent.timing.PhaseTimes.format(nanos);
    }
}
