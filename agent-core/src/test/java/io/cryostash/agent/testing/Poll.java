// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling with a deadline, so that a lost process fails a test instead of hanging the suite. */
public final class Poll {
    private Poll() {
    }

    /** Waits until {@code done} holds; throws an AssertionError naming {@code what} at the deadline. */
    public static void until(Duration timeout, String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            sleep(5);
        }
    }

    /** Like {@link #until} but the message is computed at the deadline (it may describe the state). */
    public static void until(Duration timeout, Supplier<String> what, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what.get());
            }
            sleep(5);
        }
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
