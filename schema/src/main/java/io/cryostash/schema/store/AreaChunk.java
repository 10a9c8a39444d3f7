// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

/**
 * One chunk of a memory area: a run of at most 64 pages starting at page {@code firstPage} of
 * the area, of which only the pages whose bit is set in {@code presence} were stored.
 *
 * <p>The chunk's bytes are the present pages concatenated in address order (absent pages take
 * no space), so a chunk of {@code Long.bitCount(presence)} pages. On restore only present pages
 * are written: pages that were never touched stay untouched and the restored RSS matches the
 * original's.
 *
 * @param firstPage index of the chunk's first page inside the area
 * @param pageCount pages the chunk spans (1..64; the last chunk of an area may be shorter)
 * @param presence  bit {@code i} set: page {@code firstPage + i} is stored; never 0
 * @param key       the stored bytes' key
 */
public record AreaChunk(long firstPage, int pageCount, long presence, ChunkKey key) {
    /** Most pages one chunk may span: the presence bitmap is one {@code long}. */
    public static final int MAX_PAGES = 64;

    public AreaChunk {
        if (firstPage < 0) {
            throw new IllegalArgumentException("negative first page: " + firstPage);
        }
        if (pageCount < 1 || pageCount > MAX_PAGES) {
            throw new IllegalArgumentException("chunk must span 1.." + MAX_PAGES + " pages: " + pageCount);
        }
        if (presence == 0) {
            throw new IllegalArgumentException("chunk at page " + firstPage + " has no present page");
        }
        if (pageCount < 64 && (presence >>> pageCount) != 0) {
            throw new IllegalArgumentException("presence bits beyond the chunk's " + pageCount + " pages at page " + firstPage);
        }
        if (key == null) {
            throw new IllegalArgumentException("key is null");
        }
    }

    /** Number of stored pages. */
    public int presentPages() {
        return Long.bitCount(presence);
    }

    /** Whether page {@code i} (0-based inside the chunk) is stored. */
    public boolean isPresent(int i) {
        return (presence >>> i & 1) != 0;
    }

    /** What {@link #forEachPresentRun} hands each run of stored pages. */
    @FunctionalInterface
    public interface PresentRun<E extends Exception> {
        /**
         * @param firstPage  the run's first page, 0-based inside the chunk
         * @param pages      its length in pages
         * @param dataOffset where its pages start in the chunk's data, in pages (absent pages are not stored)
         */
        void accept(int firstPage, int pages, int dataOffset) throws E;
    }

    /** Calls {@code run} for each run of consecutive stored pages, in order. */
    public <E extends Exception> void forEachPresentRun(PresentRun<E> run) throws E {
        int stored = 0;
        int p = 0;
        while (p < pageCount) {
            if (!isPresent(p)) {
                p++;
                continue;
            }
            int q = p;
            while (q < pageCount && isPresent(q)) {
                q++;
            }
            run.accept(p, q - p, stored);
            stored += q - p;
            p = q;
        }
    }
}
