// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.pack;

import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * A pack's bytes in memory, kept for the next pack once uploaded: a capture writes a gigabyte
 * of packs through a few of these instead of allocating (and faulting in) a fresh array per
 * pack and copying it out again, as a {@code ByteArrayOutputStream} does. Not thread-safe.
 *
 * <p>The memory is direct and starts on a {@link #ALIGNMENT} boundary, so a directory store can
 * hand it to the disk with O_DIRECT (no copy into the page cache; see {@code DirectoryBackend})
 * and a channel write needs no bounce buffer.
 */
public final class PackBuffer extends OutputStream {
    /** The start of the bytes is aligned to this many bytes (a page; any file system's block divides it). */
    public static final int ALIGNMENT = 4096;
    private ByteBuffer bytes;

    public PackBuffer(int capacity) {
        this.bytes = aligned(capacity);
    }

    private static ByteBuffer aligned(int capacity) {
        int whole = (capacity + ALIGNMENT - 1) & -ALIGNMENT;
        return ByteBuffer.allocateDirect(whole + ALIGNMENT).alignedSlice(ALIGNMENT).limit(whole);
    }

    @Override
    public void write(int b) {
        ensure(1);
        bytes.put((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        ensure(len);
        bytes.put(b, off, len);
    }

    /** Appends the remaining bytes of {@code b}. */
    public void write(ByteBuffer b) {
        ensure(b.remaining());
        bytes.put(b);
    }

    private void ensure(int more) {
        if (bytes.remaining() < more) {
            int size = bytes.position();
            ByteBuffer grown = aligned(Math.max(bytes.capacity() * 2, size + more));
            grown.put(bytes.flip());
            bytes = grown;
        }
    }

    /** The bytes written so far, as a read-only view starting at offset 0 (valid until the next {@link #reset}). */
    public ByteBuffer contents() {
        return bytes.duplicate().flip().asReadOnlyBuffer();
    }

    public int size() {
        return bytes.position();
    }

    /** Empties the buffer, keeping its memory. */
    public void reset() {
        bytes.clear();
    }
}
