// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.timing;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** How the time of a capture's or a restore's phases is written for people and log readers. */
public final class PhaseTimes {
    private PhaseTimes() {
    }

    /**
     * e.g. {@code stop 1.2, registers 0.3, …}: milliseconds with one decimal, in the phases' declared
     * order; "not measured" when none were (a tree is timed as a whole).
     */
    public static <E extends Enum<E>> String format(Map<E, Long> nanos) {
        if (nanos.isEmpty()) {
            return "not measured";
        }
        return new TreeMap<>(nanos).entrySet().stream() // enums sort by declaration order
                .map(e -> String.format("%s %.1f", e.getKey().name().toLowerCase().replace('_', ' '), e.getValue() / 1e6))
                .collect(Collectors.joining(", "));
    }
}
