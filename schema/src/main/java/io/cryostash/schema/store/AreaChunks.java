// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

import java.util.List;

/**
 * The stored content of one memory area: its chunks with presence bitmaps.
 *
 * <p>The process-image manifest embeds one of these per area; the area's other attributes
 * (protection, flags, file) are the manifest's business. Validation here rejects what would
 * make a restore write outside the area: chunks out of order, overlapping, or past its end.
 *
 * @param start     first address of the area (page-aligned)
 * @param length    length of the area in bytes (a multiple of the page size)
 * @param pageSize  page size at capture
 * @param chunkPages pages per chunk used at capture (informational: chunks carry their own span)
 * @param chunks    chunks in increasing page order; absent runs of pages have no chunk
 * @param patches   pages rewritten since their chunk was stored, written over the chunks on
 *                  restore: an incremental capture that finds a few dirty pages in a chunk
 *                  stores just those pages (all of them since the chunk itself was stored)
 *                  instead of the whole chunk again. Each patch lies inside one chunk and covers
 *                  only pages that chunk stores; patches are in increasing order of first page,
 *                  and patches of the same chunk never cover the same page (so the order in
 *                  which they are written does not matter). Empty for full captures; null in
 *                  JSON means empty.
 */
public record AreaChunks(long start, long length, int pageSize, int chunkPages, List<AreaChunk> chunks,
                         List<AreaChunk> patches) {

    /** Without patches (a full capture). */
    public AreaChunks(long start, long length, int pageSize, int chunkPages, List<AreaChunk> chunks) {
        this(start, length, pageSize, chunkPages, chunks, List.of());
    }

    public AreaChunks {
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two: " + pageSize);
        }
        if (chunkPages < 1 || chunkPages > AreaChunk.MAX_PAGES) {
            throw new IllegalArgumentException("chunk pages must be 1.." + AreaChunk.MAX_PAGES + ": " + chunkPages);
        }
        if (start % pageSize != 0 || length < 0 || length % pageSize != 0) {
            throw new IllegalArgumentException("area " + Long.toHexString(start) + "+" + length + " is not page-aligned");
        }
        if (Long.compareUnsigned(start + length, start) < 0) {
            throw new IllegalArgumentException("area " + Long.toHexString(start) + "+" + length + " wraps around");
        }
        chunks = List.copyOf(chunks);
        long pages = length / pageSize;
        long next = 0;
        for (AreaChunk c : chunks) {
            if (c.firstPage() < next) {
                throw new IllegalArgumentException("chunk at page " + c.firstPage() + " overlaps or is out of order in area "
                        + Long.toHexString(start));
            }
            if (c.firstPage() + c.pageCount() > pages) {
                throw new IllegalArgumentException("chunk at page " + c.firstPage() + " runs past the end of area "
                        + Long.toHexString(start) + " (" + pages + " pages)");
            }
            next = c.firstPage() + c.pageCount();
        }
        patches = patches == null ? List.of() : List.copyOf(patches);
        int base = 0;
        long lastFirst = -1;
        int coveredChunk = -1;
        long covered = 0;
        for (AreaChunk p : patches) {
            if (p.firstPage() <= lastFirst) {
                throw new IllegalArgumentException("patch at page " + p.firstPage() + " is out of order in area "
                        + Long.toHexString(start));
            }
            lastFirst = p.firstPage();
            long nextPatch = p.firstPage() + p.pageCount();
            while (base < chunks.size() && chunks.get(base).firstPage() + chunks.get(base).pageCount() <= p.firstPage()) {
                base++;
            }
            AreaChunk c = base < chunks.size() ? chunks.get(base) : null;
            if (c == null || c.firstPage() > p.firstPage() || nextPatch > c.firstPage() + c.pageCount()) {
                throw new IllegalArgumentException("patch at page " + p.firstPage() + " is not inside one chunk of area "
                        + Long.toHexString(start));
            }
            long shift = p.firstPage() - c.firstPage();
            long bits = p.presence() << shift;
            if ((bits & ~c.presence()) != 0) {
                throw new IllegalArgumentException("patch at page " + p.firstPage() + " covers pages its chunk does not store");
            }
            if (coveredChunk != base) {
                coveredChunk = base;
                covered = 0;
            }
            if ((covered & bits) != 0) {
                throw new IllegalArgumentException("patch at page " + p.firstPage() + " overlaps another patch of its chunk");
            }
            covered |= bits;
        }
    }

    /** Address of page {@code firstPage + i} of chunk {@code c}. */
    public long pageAddress(AreaChunk c, int i) {
        return start + (c.firstPage() + i) * pageSize;
    }

    /** Total stored pages (patches only rewrite pages their chunks store). */
    public long presentPages() {
        long n = 0;
        for (AreaChunk c : chunks) {
            n += c.presentPages();
        }
        return n;
    }
}
