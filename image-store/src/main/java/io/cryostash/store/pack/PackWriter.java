// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.pack;

import io.cryostash.store.Hashing;
import io.cryostash.store.InvalidPackException;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Appends compressed chunks to a sink and ends them with the pack's index and trailer
 * ({@link PackFormat}).
 *
 * <p>Compression happens before {@link #add} (on many threads); the writer only orders bytes,
 * so it is cheap to hold its lock. {@link #finish} re-parses the index and trailer it is about
 * to write and compares them with what it meant to write, so a bug in the encoder can never
 * upload a pack nobody can read (restic's {@code verifyHeader}). Into a {@link PackBuffer} the
 * pack's name (the SHA-256 of its bytes) is computed by {@link #finish}, on the uploading
 * thread, not chunk by chunk in {@link #add}, where the caller holds its pack lock and the other
 * compressing threads wait for it. After any failed write to the
 * sink the writer is broken: every later call throws {@link PackBrokenException}, because the
 * sink's contents are unknown and offsets would be wrong. Not thread-safe.
 */
public final class PackWriter {
    /** Default target pack size: large enough that a PUT's fixed cost vanishes, small enough to retry. */
    public static final int DEFAULT_TARGET_SIZE = 4 << 20;

    private final OutputStream sink;
    private final Hashing.Digest digest = Hashing.newDigest();
    /** The sink keeps every byte: digest them all in {@link #finish}. */
    private final PackBuffer buffer;
    private final List<PackIndexEntry> entries = new ArrayList<>();
    private long size;
    private boolean broken;
    private boolean finished;

    public PackWriter(OutputStream sink) {
        this.sink = sink;
        this.buffer = sink instanceof PackBuffer pb && pb.size() == 0 ? pb : null;
    }

    /** A finished pack: its name (SHA-256 of all bytes), total size and entries. */
    public record Finished(String id, long size, List<PackIndexEntry> entries) {
    }

    /**
     * Appends one chunk's zstd frame.
     *
     * @param uncompressedLength the chunk's length before compression
     */
    public void add(ChunkKey key, byte[] frame, int uncompressedLength) throws IOException {
        check();
        if (entries.size() >= StoreFormat.MAX_PACK_ENTRIES) {
            throw new IllegalStateException("pack full: " + entries.size() + " entries");
        }
        if (size + frame.length + (long) (entries.size() + 1) * PackFormat.ENTRY_SIZE + PackFormat.TRAILER_SIZE
                > PackFormat.MAX_PACK_SIZE) {
            throw new IllegalStateException("pack would exceed " + PackFormat.MAX_PACK_SIZE + " bytes");
        }
        PackIndexEntry e = new PackIndexEntry(key, size, frame.length, uncompressedLength,
                PackFormat.crc(frame, 0, frame.length));
        write(frame);
        entries.add(e);
        size += frame.length;
    }

    /**
     * Appends one chunk's zstd frame, the remaining bytes of {@code frame} (its position is left
     * unchanged). A {@link PackBuffer} sink takes the bytes without an intermediate array.
     */
    public void add(ChunkKey key, java.nio.ByteBuffer frame, int uncompressedLength) throws IOException {
        check();
        int len = frame.remaining();
        if (entries.size() >= StoreFormat.MAX_PACK_ENTRIES) {
            throw new IllegalStateException("pack full: " + entries.size() + " entries");
        }
        if (size + len + (long) (entries.size() + 1) * PackFormat.ENTRY_SIZE + PackFormat.TRAILER_SIZE
                > PackFormat.MAX_PACK_SIZE) {
            throw new IllegalStateException("pack would exceed " + PackFormat.MAX_PACK_SIZE + " bytes");
        }
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(frame.duplicate());
        PackIndexEntry e = new PackIndexEntry(key, size, len, uncompressedLength, (int) crc.getValue());
        try {
            if (sink instanceof PackBuffer pb) {
                pb.write(frame.duplicate());
            } else {
                byte[] copy = new byte[len];
                frame.duplicate().get(copy);
                sink.write(copy);
            }
        } catch (IOException | RuntimeException ex) {
            broken = true;
            throw ex;
        }
        if (buffer == null) {
            digest.update(frame);
        }
        entries.add(e);
        size += len;
    }

    /** Writes index and trailer, verified by re-parsing, and returns the pack's description. */
    public Finished finish() throws IOException {
        check();
        byte[] tail = PackFormat.encodeIndexAndTrailer(entries, size);
        long total = size + tail.length;
        verifyTail(tail, total);
        write(tail);
        try {
            sink.flush();
        } catch (IOException e) {
            broken = true;
            throw e;
        }
        finished = true;
        if (buffer != null) {
            digest.update(buffer.contents());
        }
        return new Finished(Hashing.hex(digest.digest()), total, List.copyOf(entries));
    }

    private void verifyTail(byte[] tail, long total) throws InvalidPackException {
        byte[] trailer = java.util.Arrays.copyOfRange(tail, tail.length - PackFormat.TRAILER_SIZE, tail.length);
        byte[] index = java.util.Arrays.copyOf(tail, tail.length - PackFormat.TRAILER_SIZE);
        PackFormat.Trailer t = PackFormat.parseTrailer("(being written)", trailer, total);
        List<PackIndexEntry> back = PackFormat.parseIndex("(being written)", t, index);
        if (!back.equals(entries)) {
            broken = true;
            throw new InvalidPackException("(being written)", "index read back differs from the one written");
        }
    }

    private void write(byte[] b) throws IOException {
        try {
            sink.write(b);
        } catch (IOException | RuntimeException e) {
            broken = true;
            throw e;
        }
        if (buffer == null) {
            digest.update(b, 0, b.length);
        }
    }

    private void check() {
        if (broken) {
            throw new PackBrokenException();
        }
        if (finished) {
            throw new IllegalStateException("pack already finished");
        }
    }

    /** Bytes written so far plus what {@link #finish} will add. */
    public long size() {
        return size + (long) entries.size() * PackFormat.ENTRY_SIZE + PackFormat.TRAILER_SIZE;
    }

    /** Keys of the chunks added so far, in order. */
    public List<ChunkKey> keys() {
        List<ChunkKey> ks = new ArrayList<>(entries.size());
        entries.forEach(e -> ks.add(e.key()));
        return ks;
    }

    public int count() {
        return entries.size();
    }

    public boolean isBroken() {
        return broken;
    }
}
