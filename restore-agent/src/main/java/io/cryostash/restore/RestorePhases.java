// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

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
        if (nanos.isEmpty()) { // a tree restore times itself as a whole
            return "not measured";
        }
        Map<RestorePhase, Long> ordered = new EnumMap<>(RestorePhase.class);
        ordered.putAll(nanos);
        return ordered.entrySet().stream()
                .map(e -> String.format("%s %.1f", e.getKey().name().toLowerCase().replace('_', ' '), e.getValue() / 1e6))
                .collect(Collectors.joining(", "));
    }
}
