// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.pack;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A pack's bytes in memory, kept for the next pack once uploaded: a capture writes a gigabyte
 * of packs through a few of these instead of allocating (and faulting in) a fresh array per
 * pack and copying it out again, as a {@code ByteArrayOutputStream} does. Not thread-safe.
 */
public final class PackBuffer extends OutputStream {
    private byte[] bytes;
    private int size;

    public PackBuffer(int capacity) {
        this.bytes = new byte[capacity];
    }

    @Override
    public void write(int b) {
        ensure(1);
        bytes[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, bytes, size, len);
        size += len;
    }

    /** Appends the remaining bytes of {@code b}. */
    public void write(ByteBuffer b) {
        int len = b.remaining();
        ensure(len);
        b.get(bytes, size, len);
        size += len;
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }

    /** The bytes written so far, as a view (valid until the next {@link #reset}). */
    public ByteBuffer contents() {
        return ByteBuffer.wrap(bytes, 0, size).asReadOnlyBuffer();
    }

    public int size() {
        return size;
    }

    /** Empties the buffer, keeping its memory. */
    public void reset() {
        size = 0;
    }
}
