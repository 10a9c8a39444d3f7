// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Copy buffers kept from one capture for the next (see {@link PageBuffers#reuse}): making them
 * anew costs a capture the zeroing of fresh memory, 40 ms for 64 MiB on this VM. Up to
 * {@code maxBytes} are kept; larger ones go back to the system after their capture, so that a
 * long-lived process (a daemon serving many commands) does not hold a large process's worth
 * of memory for good. One capture at a time uses the kept buffers; a concurrent one gets its own.
 */
public final class KeptBuffers {
    private final AtomicReference<PageBuffers> kept = new AtomicReference<>();
    private final long maxBytes;

    public KeptBuffers(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    public static KeptBuffers unbounded() {
        return new KeptBuffers(Long.MAX_VALUE);
    }

    /** Buffers for about {@code expectedBytes}: the kept ones, grown if need be, else new ones. */
    public PageBuffers take(long expectedBytes) {
        PageBuffers k = kept.getAndSet(null);
        return k != null ? k.reuse(expectedBytes) : new PageBuffers(expectedBytes);
    }

    /** Keeps {@code buffers} for the next capture, unless they are over the limit. */
    public void give(PageBuffers buffers) {
        if (buffers.capacity() <= maxBytes) {
            kept.set(buffers);
        }
    }
}
