// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.memory;

import io.cryostash.store.InvalidTableException;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.AreaTable;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.FormatVersion;
import io.cryostash.schema.store.StoreFormat;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Chunk tables: a memory area's chunk list cut into segments of {@link #SEGMENT_CHUNKS} chunk
 * slots (16 MiB of address space at 64 KiB chunks), each stored as a chunk of its own.
 *
 * <pre>
 * table := "CRYOTABL" major:u16 minor:u16 chunkCount:u32 patchCount:u32
 *          entry{chunkCount} entry{patchCount}
 * entry := pageDelta:uvarint  span:u8  [presence:u64]  key[32]
 * </pre>
 * Little-endian. {@code pageDelta} is the entry's first page (counted from the area's start)
 * minus the previous entry's of the same list (the first entry: minus zero); {@code span} is the
 * page count (1..64), with bit 7 set when every page of the span is present, in which case the
 * presence bitmap is left out. About 35 bytes per 64 KiB chunk.
 *
 * <p>Segment boundaries depend only on page numbers, never on content, so a stretch of an area
 * whose chunks and patches did not change encodes to the same bytes — the same key — in every
 * snapshot, and is stored once for all of them. Garbage collection and the checker read tables
 * through {@link #keys}, without understanding anything else about images.
 */
public final class AreaTableCodec {
    /** Chunk slots per table. */
    public static final int SEGMENT_CHUNKS = 256;
    private static final byte[] MAGIC = "CRYOTABL".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = MAGIC.length + 4 + 8;
    private static final int FULL = 0x80;

    private AreaTableCodec() {
    }

    /** The area's tables, in address order; one per segment that holds at least one chunk. */
    public static List<byte[]> encode(AreaChunks area) {
        long segmentPages = (long) SEGMENT_CHUNKS * area.chunkPages();
        TreeMap<Long, List<AreaChunk>> chunks = new TreeMap<>();
        TreeMap<Long, List<AreaChunk>> patches = new TreeMap<>();
        for (AreaChunk c : area.chunks()) {
            chunks.computeIfAbsent(c.firstPage() / segmentPages, s -> new ArrayList<>()).add(c);
        }
        for (AreaChunk p : area.patches()) {
            patches.computeIfAbsent(p.firstPage() / segmentPages, s -> new ArrayList<>()).add(p);
        }
        List<byte[]> out = new ArrayList<>(chunks.size());
        for (Map.Entry<Long, List<AreaChunk>> e : chunks.entrySet()) {
            out.add(encodeSegment(e.getValue(), patches.getOrDefault(e.getKey(), List.of())));
        }
        if (!chunks.keySet().containsAll(patches.keySet())) {
            throw new IllegalArgumentException("patch outside every chunk of the area at " + Long.toHexString(area.start()));
        }
        return out;
    }

    /** Rebuilds an area's chunk list from its tables' bytes (already verified against their keys), in order. */
    public static AreaChunks decode(AreaTable table, List<ChunkKey> keys, List<byte[]> segments)
            throws InvalidTableException {
        List<AreaChunk> chunks = new ArrayList<>();
        List<AreaChunk> patches = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            parse(keys.get(i), segments.get(i), chunks, patches);
        }
        try {
            return new AreaChunks(table.start(), table.length(), table.pageSize(), table.chunkPages(), chunks, patches);
        } catch (IllegalArgumentException e) {
            throw new InvalidTableException(keys.get(0), "the area's tables do not fit it: " + e.getMessage());
        }
    }

    /** Every chunk a table names (chunks and patches), for garbage collection and checking. */
    public static List<ChunkKey> keys(ChunkKey tableKey, byte[] table) throws InvalidTableException {
        List<AreaChunk> chunks = new ArrayList<>();
        List<AreaChunk> patches = new ArrayList<>();
        parse(tableKey, table, chunks, patches);
        List<ChunkKey> out = new ArrayList<>(chunks.size() + patches.size());
        chunks.forEach(c -> out.add(c.key()));
        patches.forEach(c -> out.add(c.key()));
        return out;
    }

    private static byte[] encodeSegment(List<AreaChunk> chunks, List<AreaChunk> patches) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + (chunks.size() + patches.size()) * (10 + 1 + 8 + ChunkKey.LENGTH))
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC);
        b.putShort((short) StoreFormat.TABLE_VERSION.major());
        b.putShort((short) StoreFormat.TABLE_VERSION.minor());
        b.putInt(chunks.size());
        b.putInt(patches.size());
        putEntries(b, chunks);
        putEntries(b, patches);
        return Arrays.copyOf(b.array(), b.position());
    }

    private static void putEntries(ByteBuffer b, List<AreaChunk> entries) {
        long previous = 0;
        for (AreaChunk c : entries) {
            putVarint(b, c.firstPage() - previous);
            previous = c.firstPage();
            boolean full = c.presence() == allPages(c.pageCount());
            b.put((byte) (c.pageCount() | (full ? FULL : 0)));
            if (!full) {
                b.putLong(c.presence());
            }
            c.key().write(b);
        }
    }

    private static void parse(ChunkKey key, byte[] table, List<AreaChunk> chunks, List<AreaChunk> patches)
            throws InvalidTableException {
        ByteBuffer b = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new InvalidTableException(key, "bad magic");
            }
            FormatVersion v = new FormatVersion(Short.toUnsignedInt(b.getShort()), Short.toUnsignedInt(b.getShort()));
            if (!StoreFormat.TABLE_VERSION.canRead(v)) {
                throw new InvalidTableException(key, "unsupported table format " + v + " (this reader knows "
                        + StoreFormat.TABLE_VERSION.major() + ".x)");
            }
            long chunkCount = Integer.toUnsignedLong(b.getInt());
            long patchCount = Integer.toUnsignedLong(b.getInt());
            // every entry takes at least 34 bytes: counts beyond that are lies, refused before allocating
            if (chunkCount + patchCount > StoreFormat.MAX_TABLE_ENTRIES
                    || (chunkCount + patchCount) * (2 + ChunkKey.LENGTH) > b.remaining()) {
                throw new InvalidTableException(key, "entry counts " + chunkCount + "+" + patchCount + " out of range");
            }
            readEntries(key, b, (int) chunkCount, chunks);
            readEntries(key, b, (int) patchCount, patches);
            if (b.hasRemaining()) {
                throw new InvalidTableException(key, b.remaining() + " trailing bytes");
            }
        } catch (BufferUnderflowException e) {
            throw new InvalidTableException(key, "truncated");
        }
    }

    private static void readEntries(ChunkKey key, ByteBuffer b, int count, List<AreaChunk> out)
            throws InvalidTableException {
        long page = 0;
        for (int i = 0; i < count; i++) {
            long delta = readVarint(key, b);
            if (i > 0 && delta == 0) {
                throw new InvalidTableException(key, "entries out of order at page " + page);
            }
            page += delta;
            if (page < 0) {
                throw new InvalidTableException(key, "page number overflows");
            }
            int span = Byte.toUnsignedInt(b.get());
            boolean full = (span & FULL) != 0;
            span &= ~FULL;
            if (span < 1 || span > AreaChunk.MAX_PAGES) {
                throw new InvalidTableException(key, "entry at page " + page + " spans " + span + " pages");
            }
            long presence = full ? allPages(span) : b.getLong();
            try {
                out.add(new AreaChunk(page, span, presence, ChunkKey.read(b)));
            } catch (IllegalArgumentException e) {
                throw new InvalidTableException(key, e.getMessage());
            }
        }
    }

    private static long allPages(int span) {
        return span == 64 ? -1L : (1L << span) - 1;
    }

    private static void putVarint(ByteBuffer b, long v) {
        while ((v & ~0x7fL) != 0) {
            b.put((byte) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        b.put((byte) v);
    }

    private static long readVarint(ChunkKey key, ByteBuffer b) throws InvalidTableException {
        long v = 0;
        for (int shift = 0; shift < 63; shift += 7) {
            int x = Byte.toUnsignedInt(b.get());
            v |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return v;
            }
        }
        throw new InvalidTableException(key, "page number does not fit 63 bits");
    }
}
