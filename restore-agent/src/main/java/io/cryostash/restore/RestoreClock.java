// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.util.EnumMap;
import java.util.Map;

/**
 * Charges the time since the last mark to a phase. One per restore; marks come from the caller's
 * thread and then from the tracer thread, one after the other, never at once.
 */
final class RestoreClock {
    private final Map<RestorePhase, Long> nanos = new EnumMap<>(RestorePhase.class);
    private long last;

    RestoreClock(long start) {
        last = start;
    }

    synchronized void lap(RestorePhase phase) {
        long now = System.nanoTime();
        nanos.merge(phase, now - last, Long::sum);
        last = now;
    }

    synchronized RestorePhases phases() {
        return new RestorePhases(nanos);
    }
}
