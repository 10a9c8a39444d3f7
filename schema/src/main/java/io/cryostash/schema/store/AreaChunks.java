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
 */
public record AreaChunks(long start, long length, int pageSize, int chunkPages, List<AreaChunk> chunks) {
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
    }

    /** Address of page {@code firstPage + i} of chunk {@code c}. */
    public long pageAddress(AreaChunk c, int i) {
        return start + (c.firstPage() + i) * pageSize;
    }

    /** Total stored pages. */
    public long presentPages() {
        long n = 0;
        for (AreaChunk c : chunks) {
            n += c.presentPages();
        }
        return n;
    }
}
