// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

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
        if (nanos.isEmpty()) { // a tree capture times its freeze as a whole
            return "not measured";
        }
        Map<FreezePhase, Long> ordered = new EnumMap<>(FreezePhase.class);
        ordered.putAll(nanos);
        return ordered.entrySet().stream()
                .map(e -> String.format("%s %.1f", e.getKey().name().toLowerCase().replace('_', ' '), e.getValue() / 1e6))
                .collect(Collectors.joining(", "));
    }
}
