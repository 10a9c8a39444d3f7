// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.pack;

import io.cryostash.store.InvalidPackException;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.FormatVersion;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.StoreFormat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The bytes of a pack, in one place. All integers little-endian.
 *
 * <pre>
 * pack    := frame* index trailer
 * frame   := one zstd frame per chunk, back to back from offset 0
 * index   := entry{count}                       sorted by offset
 * entry   := key[32] offset:u32 compressed:u32 uncompressed:u32 crc32c:u32   (48 bytes)
 * trailer := magic "CRYOPACK"[8] major:u16 minor:u16 count:u32
 *            indexOffset:u32 indexCrc32c:u32 trailerCrc32c:u32               (28 bytes)
 * </pre>
 *
 * <p>The index is at the end so a writer can stream chunks without knowing how many will fit,
 * and a reader needs one ranged read of the tail to list a pack. The pack therefore describes
 * itself: every index object can be rebuilt from the packs alone. {@code indexCrc32c} covers the
 * index bytes, {@code trailerCrc32c} the 24 trailer bytes before it; {@code indexOffset} must
 * equal the end of the last frame, and the pack length must be exactly
 * {@code indexOffset + 48·count + 28}, so a truncated or extended pack is never misread.
 * Packs are named by the SHA-256 of all their bytes.
 */
public final class PackFormat {
    public static final byte[] MAGIC = "CRYOPACK".getBytes(StandardCharsets.US_ASCII);
    public static final int TRAILER_SIZE = 28;
    public static final int ENTRY_SIZE = PackIndexEntry.ENCODED_SIZE;
    /** Packs cannot exceed 4 GiB (offsets are u32); the writer targets a few MiB. */
    public static final long MAX_PACK_SIZE = 0xffffffffL;

    private PackFormat() {
    }

    static byte[] encodeIndexAndTrailer(List<PackIndexEntry> entries, long indexOffset) {
        ByteBuffer b = ByteBuffer.allocate(entries.size() * ENTRY_SIZE + TRAILER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        for (PackIndexEntry e : entries) {
            e.key().write(b);
            b.putInt((int) e.offset());
            b.putInt(e.compressedLength());
            b.putInt(e.uncompressedLength());
            b.putInt(e.crc32c());
        }
        int indexLen = b.position();
        b.put(MAGIC);
        FormatVersion v = StoreFormat.PACK_VERSION;
        b.putShort((short) v.major());
        b.putShort((short) v.minor());
        b.putInt(entries.size());
        b.putInt((int) indexOffset);
        b.putInt(crc(b.array(), 0, indexLen));
        b.putInt(crc(b.array(), indexLen, TRAILER_SIZE - 4));
        return b.array();
    }

    /** Parsed trailer: where the index is and how long. */
    public record Trailer(FormatVersion version, int count, long indexOffset, int indexCrc32c) {
        public long indexLength() {
            return (long) count * ENTRY_SIZE;
        }
    }

    /** Parses and checks the last {@link #TRAILER_SIZE} bytes of a pack of {@code packSize} bytes. */
    public static Trailer parseTrailer(String packId, byte[] t, long packSize) throws InvalidPackException {
        if (packSize < TRAILER_SIZE || t.length != TRAILER_SIZE) {
            throw new InvalidPackException(packId, "too short for a trailer (" + packSize + " bytes)");
        }
        ByteBuffer b = ByteBuffer.wrap(t).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new InvalidPackException(packId, "no pack trailer magic");
        }
        if (crc(t, 0, TRAILER_SIZE - 4) != ByteBuffer.wrap(t, TRAILER_SIZE - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()) {
            throw new InvalidPackException(packId, "trailer checksum mismatch");
        }
        FormatVersion v = new FormatVersion(Short.toUnsignedInt(b.getShort()), Short.toUnsignedInt(b.getShort()));
        if (!StoreFormat.PACK_VERSION.canRead(v)) {
            throw new InvalidPackException(packId, "unsupported pack format " + v + " (this reader knows "
                    + StoreFormat.PACK_VERSION.major() + ".x)");
        }
        long count = Integer.toUnsignedLong(b.getInt());
        long indexOffset = Integer.toUnsignedLong(b.getInt());
        int indexCrc = b.getInt();
        if (count > StoreFormat.MAX_PACK_ENTRIES) {
            throw new InvalidPackException(packId, "claims " + count + " entries");
        }
        if (indexOffset + count * ENTRY_SIZE + TRAILER_SIZE != packSize) {
            throw new InvalidPackException(packId, "index of " + count + " entries at " + indexOffset
                    + " does not end where the " + packSize + "-byte pack does");
        }
        return new Trailer(v, (int) count, indexOffset, indexCrc);
    }

    /** Parses and checks the index bytes a trailer points at. */
    public static List<PackIndexEntry> parseIndex(String packId, Trailer t, byte[] index) throws InvalidPackException {
        if (index.length != t.indexLength()) {
            throw new InvalidPackException(packId, "index is " + index.length + " bytes, expected " + t.indexLength());
        }
        if (crc(index, 0, index.length) != t.indexCrc32c()) {
            throw new InvalidPackException(packId, "index checksum mismatch");
        }
        ByteBuffer b = ByteBuffer.wrap(index).order(ByteOrder.LITTLE_ENDIAN);
        List<PackIndexEntry> out = new ArrayList<>(t.count());
        long expected = 0;
        for (int i = 0; i < t.count(); i++) {
            ChunkKey key = ChunkKey.read(b);
            long off = Integer.toUnsignedLong(b.getInt());
            int clen = b.getInt();
            int ulen = b.getInt();
            int crc = b.getInt();
            if (off != expected) {
                throw new InvalidPackException(packId, "entry " + i + " starts at " + off + ", expected " + expected);
            }
            PackIndexEntry e;
            try {
                e = new PackIndexEntry(key, off, clen, ulen, crc);
            } catch (IllegalArgumentException ex) {
                throw new InvalidPackException(packId, "entry " + i + ": " + ex.getMessage());
            }
            expected = e.end();
            out.add(e);
        }
        if (expected != t.indexOffset()) {
            throw new InvalidPackException(packId, "chunks end at " + expected + " but the index starts at " + t.indexOffset());
        }
        return out;
    }

    public static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
