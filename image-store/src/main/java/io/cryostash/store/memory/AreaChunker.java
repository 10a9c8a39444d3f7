// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.memory;

import io.cryostash.store.ChunkConsumer;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.ChunkKey;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts a memory area into page-aligned chunks, storing only present pages, and writes them
 * back on restore.
 *
 * <p>Chunk {@code i} of an area spans pages {@code [i·chunkPages, (i+1)·chunkPages)} counted from
 * the area's start, so an unchanged region of an area produces the same chunks — and keys —
 * in every snapshot, which is what makes incremental images cheap. Within a chunk only present
 * pages are stored, packed together, with a presence bitmap ({@link AreaChunk}); a chunk with
 * no present page is not stored at all. Memory is read in batches of about 1 MiB (one read per
 * run of present pages) because small reads of another process's memory are slow.
 *
 * <p>Nothing here knows about processes: the capture side supplies a {@link MemoryReader} and a
 * {@link PagePresence} (from pagemap, userfaultfd or "all"), the restore side a
 * {@link MemoryWriter}. Default chunk size: 64 KiB (16 pages) — see docs/store-format.md for the
 * measurement. Thread-safe (stateless).
 */
public final class AreaChunker {
    /** Pages per chunk by default: 16 × 4 KiB = 64 KiB. */
    public static final int DEFAULT_CHUNK_PAGES = 16;
    public static final int DEFAULT_PAGE_SIZE = 4096;
    private static final int BATCH_BYTES = 1 << 20;
    /** Beyond this many patches on one chunk, or half its pages patched, the chunk is stored again. */
    static final int MAX_PATCHES_PER_CHUNK = 8;

    private final int pageSize;
    private final int chunkPages;

    /**
     * @param chunkPages pages per chunk, 1..64 (one page is the finest dedup, at the cost of
     *                   many more index entries and slower compression)
     */
    public AreaChunker(int pageSize, int chunkPages) {
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two: " + pageSize);
        }
        if (chunkPages < 1 || chunkPages > AreaChunk.MAX_PAGES) {
            throw new IllegalArgumentException("chunk pages must be 1.." + AreaChunk.MAX_PAGES + ": " + chunkPages);
        }
        this.pageSize = pageSize;
        this.chunkPages = chunkPages;
    }

    public AreaChunker() {
        this(DEFAULT_PAGE_SIZE, DEFAULT_CHUNK_PAGES);
    }

    /** Reads {@code dst.remaining()} bytes of the captured process's memory at {@code address}. */
    @FunctionalInterface
    public interface MemoryReader {
        void read(long address, ByteBuffer dst) throws IOException;

        /**
         * The {@code length} bytes at {@code address} as a view of memory the reader holds, when
         * they lie in one piece of it and stay unchanged until the capture is committed; null
         * otherwise (they are then read with {@link #read}). Saves copying whole chunks.
         */
        default ByteBuffer view(long address, int length) {
            return null;
        }
    }

    /** Writes {@code src.remaining()} bytes into the restored process's memory at {@code address}; may be called concurrently. */
    @FunctionalInterface
    public interface MemoryWriter {
        void write(long address, ByteBuffer src) throws IOException;
    }

    /** Which pages of an area are present (index 0 is the area's first page). */
    @FunctionalInterface
    public interface PagePresence {
        boolean isPresent(long pageIndex);

        static PagePresence all() {
            return p -> true;
        }

        /** Bit {@code p % 64} of word {@code p / 64}: the layout of a pagemap scan packed into longs. */
        static PagePresence bitmap(long[] words) {
            return p -> (p >> 6) < words.length && (words[(int) (p >> 6)] >>> (p & 63) & 1) != 0;
        }

        static PagePresence of(java.util.BitSet bits) {
            return p -> p <= Integer.MAX_VALUE && bits.get((int) p);
        }
    }

    /**
     * Stores chunks and returns their keys (e.g. {@code ImageWriter::putAllOwned}). The buffers
     * the chunker hands over are its own or views of {@link MemoryReader#view}: they stay
     * unchanged, so the store may keep them until it has compressed them.
     */
    @FunctionalInterface
    public interface ChunkPut {
        List<ChunkKey> putAll(List<ByteBuffer> chunks) throws IOException;
    }

    /** Reads chunks by key and hands each distinct one to the sink (e.g. {@code ChunkStore::readChunks}). */
    @FunctionalInterface
    public interface ChunkSource {
        void read(Collection<ChunkKey> keys, ChunkConsumer sink) throws IOException;
    }

    public int chunkSize() {
        return pageSize * chunkPages;
    }

    /** Cuts the area {@code [start, start+length)} into chunks of its present pages and stores them. */
    public AreaChunks capture(long start, long length, PagePresence presence, MemoryReader reader, ChunkPut put)
            throws IOException {
        if (start % pageSize != 0 || length % pageSize != 0 || length < 0) {
            throw new IllegalArgumentException("area " + Long.toHexString(start) + "+" + length + " is not page-aligned");
        }
        long pages = length / pageSize;
        long chunkCount = (pages + chunkPages - 1) / chunkPages;
        int batchChunks = Math.max(1, BATCH_BYTES / chunkSize());
        List<AreaChunk> out = new ArrayList<>();
        for (long c0 = 0; c0 < chunkCount; c0 += batchChunks) {
            long c1 = Math.min(chunkCount, c0 + batchChunks);
            // the buffers handed to put stay as they are until the image is committed (the store
            // compresses them later), so a batch that copies gets an array of its own
            ByteBuffer batch = null;
            List<long[]> shapes = new ArrayList<>(); // {firstPage, pageCount, presence}
            List<ByteBuffer> slices = new ArrayList<>();
            long runStartPage = -1;
            int runStartPos = 0;
            for (long c = c0; c < c1; c++) {
                long first = c * chunkPages;
                int count = (int) Math.min(chunkPages, pages - first);
                long bits = 0;
                for (int i = 0; i < count; i++) {
                    if (presence.isPresent(first + i)) {
                        bits |= 1L << i;
                    }
                }
                if (bits == 0) {
                    if (runStartPage >= 0) {
                        readRun(reader, start, runStartPage, batch, runStartPos);
                        runStartPage = -1;
                    }
                    continue;
                }
                long full = count == 64 ? -1L : (1L << count) - 1;
                ByteBuffer view = bits == full ? reader.view(start + first * pageSize, count * pageSize) : null;
                if (view != null) {
                    if (runStartPage >= 0) {
                        readRun(reader, start, runStartPage, batch, runStartPos);
                        runStartPage = -1;
                    }
                    shapes.add(new long[] {first, count, bits});
                    slices.add(view);
                    continue;
                }
                if (batch == null) {
                    batch = ByteBuffer.allocate(batchChunks * chunkSize());
                }
                int sliceStart = batch.position();
                for (int i = 0; i < count; i++) {
                    long page = first + i;
                    if ((bits >>> i & 1) != 0) {
                        if (runStartPage < 0) {
                            runStartPage = page;
                            runStartPos = batch.position();
                        }
                        batch.position(batch.position() + pageSize);
                    } else if (runStartPage >= 0) {
                        readRun(reader, start, runStartPage, batch, runStartPos);
                        runStartPage = -1;
                    }
                }
                shapes.add(new long[] {first, count, bits});
                slices.add(batch.duplicate().position(sliceStart).limit(batch.position()).slice());
            }
            if (runStartPage >= 0) {
                readRun(reader, start, runStartPage, batch, runStartPos);
            }
            if (!slices.isEmpty()) {
                List<ChunkKey> keys = put.putAll(slices);
                for (int i = 0; i < keys.size(); i++) {
                    long[] s = shapes.get(i);
                    out.add(new AreaChunk(s[0], (int) s[1], s[2], keys.get(i)));
                }
            }
        }
        return new AreaChunks(start, length, pageSize, chunkPages, out);
    }

    /** What an incremental capture does with one chunk of the parent. */
    private record ChunkDecision(AreaChunk prev, long bits, boolean reread, List<AreaChunk> keep, long newPatch) {
    }

    private ChunkDecision decide(long first, int count, PagePresence presence, PagePresence dirty,
                                 Map<Long, AreaChunk> old, Map<Long, List<AreaChunk>> oldPatches) {
        long bits = 0;
        long dirtyBits = 0;
        for (int i = 0; i < count; i++) {
            if (presence.isPresent(first + i)) {
                bits |= 1L << i;
            }
            if (dirty.isPresent(first + i)) {
                dirtyBits |= 1L << i;
            }
        }
        dirtyBits &= bits;
        AreaChunk prev = old.get(first);
        if (prev != null && prev.firstPage() == first && prev.presence() == bits) {
            // patches not touching the dirty pages stay; the others are folded into one new
            // patch with the dirty pages (their clean pages are re-read: clean = unchanged)
            List<AreaChunk> keep = new ArrayList<>();
            long held = 0;
            long newPatch = dirtyBits;
            for (AreaChunk p : oldPatches.getOrDefault(first, List.of())) {
                long pb = p.presence() << (p.firstPage() - first);
                if ((pb & dirtyBits) == 0) {
                    keep.add(p);
                    held += Long.bitCount(pb);
                } else {
                    newPatch |= pb;
                }
            }
            int patchCount = keep.size() + (newPatch == 0 ? 0 : 1);
            boolean reread = (held + Long.bitCount(newPatch)) * 2 > count || patchCount > MAX_PATCHES_PER_CHUNK;
            return new ChunkDecision(prev, bits, reread, keep, newPatch);
        }
        // nothing present before or now: nothing to read; otherwise the chunk is stored anew
        return new ChunkDecision(prev, bits, !(prev == null && bits == 0), List.of(), 0);
    }

    /**
     * Puts scattered pieces (patches) in batches of about {@link #BATCH_BYTES}: a batch is one
     * compression task, so one list of every patch of a 1 GiB area would be compressed by a single
     * thread, and the first pack would fill only once the whole list was hashed.
     */
    private static List<ChunkKey> putInBatches(List<ByteBuffer> pieces, ChunkPut put) throws IOException {
        List<ChunkKey> keys = new ArrayList<>(pieces.size());
        int from = 0;
        long bytes = 0;
        for (int i = 0; i < pieces.size(); i++) {
            bytes += pieces.get(i).remaining();
            if (bytes >= BATCH_BYTES || i == pieces.size() - 1) {
                keys.addAll(put.putAll(pieces.subList(from, i + 1)));
                from = i + 1;
                bytes = 0;
            }
        }
        return keys;
    }

    private static Map<Long, AreaChunk> byFirstPage(AreaChunks parent) {
        Map<Long, AreaChunk> old = new HashMap<>();
        for (AreaChunk c : parent.chunks()) {
            old.put(c.firstPage(), c);
        }
        return old;
    }

    private Map<Long, List<AreaChunk>> patchesByChunk(AreaChunks parent) {
        Map<Long, List<AreaChunk>> oldPatches = new HashMap<>();
        for (AreaChunk p : parent.patches()) {
            oldPatches.computeIfAbsent(p.firstPage() / chunkPages * chunkPages, k -> new ArrayList<>()).add(p);
        }
        return oldPatches;
    }

    /**
     * The pages {@link #captureIncremental} will read for these arguments: whole chunks where it
     * stores a chunk anew, the patch pages where it patches. A capture copies exactly these while
     * the process is frozen, so the freeze grows with what the program wrote, not with chunk size.
     */
    public java.util.BitSet pagesToRead(AreaChunks parent, long length, PagePresence presence, PagePresence dirty) {
        return pagesToRead(parent, length, presence, dirty, null);
    }

    /**
     * The same, deciding only the chunks (by index) in {@code only}; null decides them all. A
     * freeze after a pre-copy pass re-decides only the chunks written or changed since the pass.
     */
    public java.util.BitSet pagesToRead(AreaChunks parent, long length, PagePresence presence, PagePresence dirty,
                                        java.util.BitSet only) {
        Map<Long, AreaChunk> old = byFirstPage(parent);
        Map<Long, List<AreaChunk>> oldPatches = patchesByChunk(parent);
        long pages = length / pageSize;
        java.util.BitSet out = new java.util.BitSet((int) pages);
        for (long first = 0; first < pages; first += chunkPages) {
            if (only != null && !only.get((int) (first / chunkPages))) {
                continue;
            }
            int count = (int) Math.min(chunkPages, pages - first);
            ChunkDecision d = decide(first, count, presence, dirty, old, oldPatches);
            long want = d.reread() ? d.bits() : d.newPatch();
            for (int i = 0; i < count; i++) {
                if ((want >>> i & 1) != 0) {
                    out.set((int) (first + i));
                }
            }
        }
        return out;
    }

    /**
     * Incremental capture of an area the parent image also had at the same place. Per chunk:
     * <ul>
     *   <li>no page written since the parent ({@code dirty} false for all of them) and the same
     *       pages present: the parent's chunk and patch are reused, memory is not read;</li>
     *   <li>a few pages written: the parent's chunk and its patches that do not hold any of those
     *       pages are reused, and one new patch holds the written pages (plus the pages of the
     *       parent's patches they replace, re-read: a page not written is unchanged), so
     *       rewriting scattered pages costs about those pages, not whole chunks. When patches
     *       would cover more than half the chunk or number more than
     *       {@value #MAX_PATCHES_PER_CHUNK}, the chunk is stored again instead;</li>
     *   <li>otherwise, or when the present pages changed (a page dropped with MADV_DONTNEED
     *       changes presence without a write): the chunk is read and stored again, without patch.</li>
     * </ul>
     * Restoring the result gives exactly the memory a full capture would (property-tested).
     * When the area's geometry differs from the parent's, this is a full capture.
     *
     * @param dirty pages written since the parent snapshot (from userfaultfd/PAGEMAP_SCAN or soft-dirty)
     */
    public AreaChunks captureIncremental(AreaChunks parent, long start, long length, PagePresence presence,
                                         PagePresence dirty, MemoryReader reader, ChunkPut put) throws IOException {
        if (parent == null || parent.start() != start || parent.length() != length || parent.pageSize() != pageSize
                || parent.chunkPages() != chunkPages) {
            return capture(start, length, presence, reader, put);
        }
        Map<Long, AreaChunk> old = byFirstPage(parent);
        Map<Long, List<AreaChunk>> oldPatches = patchesByChunk(parent); // by the first page of the chunk they patch
        long pages = length / pageSize;
        long chunkCount = (pages + chunkPages - 1) / chunkPages;
        List<AreaChunk> out = new ArrayList<>();
        List<AreaChunk> patches = new ArrayList<>();
        List<long[]> patchShapes = new ArrayList<>(); // {chunkFirstPage, bits relative to chunk}
        List<ByteBuffer> patchData = new ArrayList<>();
        // runs of chunks that must be read whole are captured as sub-areas, so reads stay batched
        long runFirst = -1;
        for (long ci = 0; ci <= chunkCount; ci++) { // one step past the end flushes the last run
            long first = ci * chunkPages;
            boolean reread = first < pages;
            AreaChunk prev = null;
            List<AreaChunk> keep = List.of();
            long newPatch = 0;
            if (first < pages) {
                ChunkDecision d = decide(first, (int) Math.min(chunkPages, pages - first), presence, dirty, old,
                        oldPatches);
                prev = d.prev();
                keep = d.keep();
                newPatch = d.newPatch();
                reread = d.reread();
            }
            if (reread) {
                if (runFirst < 0) {
                    runFirst = first;
                }
                continue;
            }
            if (runFirst >= 0) {
                long runStart = start + runFirst * pageSize;
                long runPages = Math.min(first, pages) - runFirst;
                long offset = runFirst;
                AreaChunks part = capture(runStart, runPages * pageSize, p -> presence.isPresent(offset + p), reader, put);
                for (AreaChunk c : part.chunks()) {
                    out.add(new AreaChunk(c.firstPage() + offset, c.pageCount(), c.presence(), c.key()));
                }
                runFirst = -1;
            }
            if (prev != null) {
                out.add(prev);
                patches.addAll(keep);
                if (newPatch != 0) {
                    patchShapes.add(new long[] {first, newPatch});
                    patchData.add(readPages(reader, start, first, newPatch));
                }
            }
        }
        if (!patchData.isEmpty()) {
            List<ChunkKey> keys = putInBatches(patchData, put);
            for (int i = 0; i < keys.size(); i++) {
                long chunkFirst = patchShapes.get(i)[0];
                long bits = patchShapes.get(i)[1];
                int lo = Long.numberOfTrailingZeros(bits);
                int hi = 63 - Long.numberOfLeadingZeros(bits);
                patches.add(new AreaChunk(chunkFirst + lo, hi - lo + 1, bits >>> lo, keys.get(i)));
            }
            patches.sort(java.util.Comparator.comparingLong(AreaChunk::firstPage));
        }
        return new AreaChunks(start, length, pageSize, chunkPages, out, patches);
    }

    /** The pages of {@code bits} (relative to {@code firstPage}), read run by run and packed together. */
    private ByteBuffer readPages(MemoryReader reader, long areaStart, long firstPage, long bits) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(Long.bitCount(bits) * pageSize);
        int i = 0;
        while (i < 64 && bits >>> i != 0) { // a shift by 64 is a shift by 0 in Java
            if ((bits >>> i & 1) == 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 64 && (bits >>> j & 1) != 0) {
                j++;
            }
            int from = buf.position();
            buf.position(from + (j - i) * pageSize);
            readRun(reader, areaStart, firstPage + i, buf, from);
            i = j;
        }
        buf.flip();
        return buf;
    }

    private void readRun(MemoryReader reader, long areaStart, long firstPage, ByteBuffer batch, int fromPos)
            throws IOException {
        ByteBuffer dst = batch.duplicate().position(fromPos).limit(batch.position()).slice();
        int want = dst.remaining();
        reader.read(areaStart + firstPage * pageSize, dst);
        if (dst.position() != 0 && dst.position() != want) {
            throw new IOException("short read of memory at " + Long.toHexString(areaStart + firstPage * pageSize)
                    + ": " + dst.position() + " of " + want + " bytes");
        }
    }

    /**
     * Writes every stored page of {@code area} back, fetching each distinct chunk once through
     * {@code source} (which verifies it), then the patches over them. Absent pages are not
     * touched. Writes of one pass may run concurrently and in any order.
     */
    public static void restore(AreaChunks area, ChunkSource source, MemoryWriter writer) throws IOException {
        restoreBuffers(area, (keys, sink) -> source.read(keys, (k, data) -> sink.accept(k, ByteBuffer.wrap(data))),
                writer);
    }

    /** Where {@link #restoreBuffers} gets chunks: each in a buffer valid only while it is handed over. */
    @FunctionalInterface
    public interface BufferSource {
        void read(Collection<ChunkKey> keys, io.cryostash.store.ChunkBufferConsumer sink) throws IOException;
    }

    /**
     * As {@link #restore}, from a source that lends each chunk's bytes only during the call (a
     * reading thread's own buffers): every page is written from them before the call returns.
     */
    public static void restoreBuffers(AreaChunks area, BufferSource source, MemoryWriter writer) throws IOException {
        writeAll(area, area.chunks(), source, writer);
        writeAll(area, area.patches(), source, writer); // after every chunk: patches overwrite pages
    }

    private static void writeAll(AreaChunks area, List<AreaChunk> chunks, BufferSource source, MemoryWriter writer)
            throws IOException {
        if (chunks.isEmpty()) {
            return;
        }
        Map<ChunkKey, List<AreaChunk>> byKey = new HashMap<>();
        for (AreaChunk c : chunks) {
            byKey.computeIfAbsent(c.key(), k -> new ArrayList<>(1)).add(c);
        }
        source.read(byKey.keySet(), (key, data) -> {
            for (AreaChunk c : byKey.get(key)) {
                writeChunk(area, c, data, writer);
            }
        });
    }

    /** Receives a run of consecutive stored pages; the buffer is valid only during the call. */
    @FunctionalInterface
    public interface RunSink {
        /** @param firstPage index of the run's first page within the area */
        void accept(long firstPage, ByteBuffer pages) throws IOException;
    }

    /**
     * Streams an area's stored pages in address order, as runs of consecutive present pages,
     * for restore code that writes sequentially (a {@code PageSource}), with patches already
     * applied. Chunks are fetched in parallel batches of about 32 MiB through {@code source},
     * which verifies each one; a batch is emitted only once all its chunks have arrived.
     */
    public static void forEachRun(AreaChunks area, ChunkSource source, RunSink sink) throws IOException {
        List<AreaChunk> cs = area.chunks();
        java.util.TreeMap<Long, AreaChunk> patchesByPage = new java.util.TreeMap<>();
        for (AreaChunk p : area.patches()) {
            patchesByPage.put(p.firstPage(), p);
        }
        int ps = area.pageSize();
        int batch = Math.max(1, (32 << 20) / (area.chunkPages() * ps));
        for (int i = 0; i < cs.size(); i += batch) {
            List<AreaChunk> sub = cs.subList(i, Math.min(cs.size(), i + batch));
            Map<ChunkKey, byte[]> got = new java.util.concurrent.ConcurrentHashMap<>();
            List<ChunkKey> keys = new ArrayList<>(sub.size());
            Map<AreaChunk, List<AreaChunk>> patchesOf = new HashMap<>();
            for (AreaChunk c : sub) {
                keys.add(c.key());
                List<AreaChunk> inside = new ArrayList<>(
                        patchesByPage.subMap(c.firstPage(), c.firstPage() + c.pageCount()).values());
                inside.forEach(p -> keys.add(p.key()));
                patchesOf.put(c, inside);
            }
            source.read(keys, got::put);
            for (AreaChunk c : sub) {
                byte[] data = delivered(got, c, ps);
                List<AreaChunk> cp = patchesOf.get(c);
                if (!cp.isEmpty()) {
                    data = data.clone(); // the same chunk may appear elsewhere unpatched
                    for (AreaChunk p : cp) {
                        applyPatch(c, p, delivered(got, p, ps), data, ps);
                    }
                }
                byte[] pages = data;
                c.forEachPresentRun((first, n, at) -> sink.accept(c.firstPage() + first,
                        ByteBuffer.wrap(pages, at * ps, n * ps).slice().asReadOnlyBuffer()));
            }
        }
    }

    /**
     * One chunk's stored pages (packed, in page order) with {@code patches} (those inside it)
     * applied, from chunk bytes a {@link ChunkSource} delivered: what restore writes for it.
     */
    public static byte[] assemble(AreaChunk c, List<AreaChunk> patches, Map<ChunkKey, byte[]> got, int pageSize)
            throws IOException {
        byte[] data = delivered(got, c, pageSize);
        if (!patches.isEmpty()) {
            data = data.clone(); // the same chunk may appear elsewhere unpatched
            for (AreaChunk p : patches) {
                applyPatch(c, p, delivered(got, p, pageSize), data, pageSize);
            }
        }
        return data;
    }

    private static byte[] delivered(Map<ChunkKey, byte[]> got, AreaChunk c, int ps) throws IOException {
        byte[] data = got.get(c.key());
        if (data == null) {
            throw new IOException("chunk source did not deliver " + c.key().hex());
        }
        if (data.length != c.presentPages() * ps) {
            throw new IOException("chunk " + c.key().shortHex() + " holds " + data.length + " bytes, its bitmap says "
                    + c.presentPages() * ps);
        }
        return data;
    }

    /** Copies the patch's pages over the chunk's packed bytes. */
    private static void applyPatch(AreaChunk c, AreaChunk p, byte[] patch, byte[] data, int ps) {
        int src = 0;
        for (int i = 0; i < p.pageCount(); i++) {
            if (!p.isPresent(i)) {
                continue;
            }
            int inChunk = (int) (p.firstPage() + i - c.firstPage());
            int dst = Long.bitCount(c.presence() & ((1L << inChunk) - 1)); // index among the chunk's stored pages
            System.arraycopy(patch, src * ps, data, dst * ps, ps);
            src++;
        }
    }

    /** Writes one chunk's present pages (runs of adjacent pages in one write each) from {@code data}'s remaining bytes. */
    private static void writeChunk(AreaChunks area, AreaChunk c, ByteBuffer data, MemoryWriter writer) throws IOException {
        int ps = area.pageSize();
        if (data.remaining() != c.presentPages() * ps) {
            throw new IOException("chunk " + c.key().shortHex() + " holds " + data.remaining() + " bytes, its bitmap says "
                    + c.presentPages() * ps);
        }
        int base = data.position();
        int pos = 0;
        int i = 0;
        while (i < c.pageCount()) {
            if (!c.isPresent(i)) {
                i++;
                continue;
            }
            int j = i;
            while (j < c.pageCount() && c.isPresent(j)) {
                j++;
            }
            int len = (j - i) * ps;
            writer.write(area.pageAddress(c, i), data.slice(base + pos, len));
            pos += len;
            i = j;
        }
    }
}
