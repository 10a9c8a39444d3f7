// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.fuzz;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Runs a decoder the way a fuzz property wants it measured: on a thread of its own, whose
 * allocated bytes (HotSpot's per-thread counter) are reported, and given up on as hung after a
 * time far beyond any real decode (a hang detector, not a timing assertion).
 */
final class AllocationMeter {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final Duration HANG = Duration.ofSeconds(30);

    private AllocationMeter() {
    }

    /** What the decoder returned or threw, and how many bytes it allocated. */
    record Outcome(Object result, Throwable thrown, long allocated) {
    }

    static Outcome run(Callable<?> decoder) {
        return assertTimeoutPreemptively(HANG, () -> {
            long id = Thread.currentThread().getId();
            long before = THREADS.getThreadAllocatedBytes(id);
            Object result = null;
            Throwable thrown = null;
            try {
                result = decoder.call();
            } catch (Throwable t) {
                thrown = t;
            }
            return new Outcome(result, thrown, THREADS.getThreadAllocatedBytes(id) - before);
        });
    }
}
