// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.util.EnumMap;
import java.util.Map;

/**
 * Charges the time since the last mark to a phase. One per capture, used on the tracer thread
 * only; a phase marked twice (e.g. two PAGEMAP_SCAN walks) adds up.
 */
final class FreezeClock {
    private final Map<FreezePhase, Long> nanos = new EnumMap<>(FreezePhase.class);
    private long last = System.nanoTime();
    private long preCopyNanos;

    /** Restarts the clock without charging anything (the freeze begins here). */
    void restart() {
        last = System.nanoTime();
    }

    void lap(FreezePhase phase) {
        long now = System.nanoTime();
        nanos.merge(phase, now - last, Long::sum);
        last = now;
    }

    /** Re-charges time measured inside one phase to another (e.g. page-table walks during the copy). */
    void move(FreezePhase from, FreezePhase to, long n) {
        nanos.merge(from, -n, Long::sum);
        nanos.merge(to, n, Long::sum);
    }

    void preCopy(long n) {
        preCopyNanos += n;
    }

    FreezePhases phases() {
        return new FreezePhases(nanos, preCopyNanos);
    }
}
