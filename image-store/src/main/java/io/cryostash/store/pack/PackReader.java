// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.pack;

import io.cryostash.store.CorruptChunkException;
import io.cryostash.store.Hashing;
import io.cryostash.store.InvalidPackException;
import io.cryostash.store.backend.Backend;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a pack's own index and its chunks with ranged reads, checking everything on the way:
 * trailer and index checksums, each frame's CRC32C, decompressed length, and finally that the
 * bytes hash to the chunk's key. Stateless apart from the back end; thread-safe.
 */
public final class PackReader {
    /** First tail read: enough for the trailer and ~5000 entries in one request. */
    private static final int TAIL_GUESS = 256 << 10;

    private PackReader() {
    }

    /** Object name of a pack. */
    public static String objectName(String packId) {
        return StoreFormat.PACKS + packId;
    }

    /** Lists a stored pack from its trailing index (one or two ranged reads). */
    public static List<PackIndexEntry> readIndex(Backend backend, String packId, long packSize) throws IOException {
        String name = objectName(packId);
        if (packSize < PackFormat.TRAILER_SIZE) {
            throw new InvalidPackException(packId, "too short for a trailer (" + packSize + " bytes)");
        }
        int guess = (int) Math.min(packSize, TAIL_GUESS);
        byte[] tail = backend.getRange(name, packSize - guess, guess);
        if (tail.length != guess) {
            throw new InvalidPackException(packId, "read " + tail.length + " of the last " + guess + " bytes");
        }
        PackFormat.Trailer t = PackFormat.parseTrailer(packId,
                Arrays.copyOfRange(tail, guess - PackFormat.TRAILER_SIZE, guess), packSize);
        long need = t.indexLength() + PackFormat.TRAILER_SIZE;
        byte[] index;
        if (need <= guess) {
            index = Arrays.copyOfRange(tail, (int) (guess - need), guess - PackFormat.TRAILER_SIZE);
        } else {
            index = backend.getRange(name, t.indexOffset(), (int) t.indexLength());
        }
        return PackFormat.parseIndex(packId, t, index);
    }

    /** Lists a pack held in memory (rebuild, checker's full reads). */
    public static List<PackIndexEntry> readIndex(String packId, byte[] pack) throws InvalidPackException {
        PackFormat.Trailer t = PackFormat.parseTrailer(packId,
                Arrays.copyOfRange(pack, Math.max(0, pack.length - PackFormat.TRAILER_SIZE), pack.length), pack.length);
        return PackFormat.parseIndex(packId, t,
                Arrays.copyOfRange(pack, (int) t.indexOffset(), (int) (t.indexOffset() + t.indexLength())));
    }

    /** Reads, checks and decompresses one chunk. */
    public static byte[] readChunk(Backend backend, String packId, PackIndexEntry e) throws IOException {
        byte[] frame = backend.getRange(objectName(packId), e.offset(), e.compressedLength());
        return decode(packId, e, frame);
    }

    /** Checks and decompresses one chunk from a pack held in memory. */
    public static byte[] readChunk(String packId, byte[] pack, PackIndexEntry e) throws IOException {
        if (e.end() > pack.length) {
            throw new CorruptChunkException(e.key(), packId, "runs past the end of the pack");
        }
        // decoded where it lies: a copy of each frame first cost a pass over every byte restored
        return decode(packId, e, pack, (int) e.offset(), e.compressedLength());
    }

    /** Each thread's output of {@link #readChunk(String, ByteBuffer, PackIndexEntry)}, grown to the largest chunk. */
    private static final ThreadLocal<ByteBuffer> DECODED = new ThreadLocal<>();

    /**
     * Checks and decompresses one chunk of a span of a pack ({@code e}'s offset counts from the
     * span's position), as {@link #readChunk(String, byte[], PackIndexEntry)} does, without an
     * array per chunk: from a direct span the chunk is decompressed into this thread's direct
     * buffer. The result is a read-only view, valid until this thread's next call.
     */
    public static ByteBuffer readChunk(String packId, ByteBuffer span, PackIndexEntry e) throws IOException {
        if (e.end() > span.remaining()) {
            throw new CorruptChunkException(e.key(), packId, "runs past the end of the pack");
        }
        int at = span.position() + (int) e.offset();
        if (!span.isDirect()) {
            if (span.hasArray()) {
                return ByteBuffer.wrap(decode(packId, e, span.array(), span.arrayOffset() + at, e.compressedLength()));
            }
            byte[] frame = new byte[e.compressedLength()];
            span.get(at, frame);
            return ByteBuffer.wrap(decode(packId, e, frame));
        }
        ByteBuffer frame = span.slice(at, e.compressedLength());
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(frame.duplicate());
        if ((int) crc.getValue() != e.crc32c()) {
            throw new CorruptChunkException(e.key(), packId, "CRC32C mismatch");
        }
        ByteBuffer out = DECODED.get();
        if (out == null || out.capacity() < e.uncompressedLength()) {
            out = ByteBuffer.allocateDirect(Math.max(e.uncompressedLength(), 256 << 10));
            DECODED.set(out);
        }
        out.clear().limit(e.uncompressedLength());
        try {
            ChunkCodec.decompress(frame, out);
        } catch (IllegalArgumentException ex) {
            throw new CorruptChunkException(e.key(), packId, ex.getMessage());
        }
        ByteBuffer data = out.slice(0, e.uncompressedLength()).asReadOnlyBuffer();
        if (!e.key().equals(Hashing.key(data))) {
            throw new CorruptChunkException(e.key(), packId, "content hash differs from the key");
        }
        return data;
    }

    private static byte[] decode(String packId, PackIndexEntry e, byte[] frame) throws CorruptChunkException {
        if (frame.length != e.compressedLength()) {
            throw new CorruptChunkException(e.key(), packId, "read " + frame.length + " of " + e.compressedLength() + " bytes");
        }
        return decode(packId, e, frame, 0, frame.length);
    }

    private static byte[] decode(String packId, PackIndexEntry e, byte[] in, int off, int len) throws CorruptChunkException {
        if (PackFormat.crc(in, off, len) != e.crc32c()) {
            throw new CorruptChunkException(e.key(), packId, "CRC32C mismatch");
        }
        byte[] data;
        try {
            data = ChunkCodec.decompress(in, off, len, e.uncompressedLength());
        } catch (IllegalArgumentException ex) {
            throw new CorruptChunkException(e.key(), packId, ex.getMessage());
        }
        if (!e.key().matches(Hashing.sha256(data))) {
            throw new CorruptChunkException(e.key(), packId, "content hash differs from the key");
        }
        return data;
    }
}
