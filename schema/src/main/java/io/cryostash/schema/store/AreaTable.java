// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

import java.util.List;

/**
 * How a stored process-image manifest names a memory area's chunk list: not inline, but as
 * <em>chunk tables</em> — small binary objects stored as chunks themselves, each listing the
 * chunks and patches of one fixed stretch of the area (docs/store-format.md, "Chunk tables").
 *
 * <p>Snapshots of a process share the tables of every stretch that did not change, so a
 * manifest costs a few bytes per unchanged 16 MiB instead of a line per chunk. Resolving the
 * segments in order gives back the area's {@link AreaChunks}.
 *
 * @param start      first address of the area
 * @param length     length of the area in bytes
 * @param pageSize   page size at capture
 * @param chunkPages pages per chunk used at capture
 * @param segments   keys of the area's chunk tables, in address order
 */
public record AreaTable(long start, long length, int pageSize, int chunkPages, List<ChunkKey> segments) {
    public AreaTable {
        if (pageSize <= 0 || Integer.bitCount(pageSize) != 1) {
            throw new IllegalArgumentException("page size must be a power of two: " + pageSize);
        }
        if (chunkPages < 1 || chunkPages > AreaChunk.MAX_PAGES) {
            throw new IllegalArgumentException("chunk pages must be 1.." + AreaChunk.MAX_PAGES + ": " + chunkPages);
        }
        if (start % pageSize != 0 || length <= 0 || length % pageSize != 0) {
            throw new IllegalArgumentException("area " + Long.toHexString(start) + "+" + length + " is not page-aligned");
        }
        if (segments == null || segments.isEmpty() || segments.size() > StoreFormat.MAX_MANIFEST_CHUNKS) {
            throw new IllegalArgumentException("area " + Long.toHexString(start) + " names "
                    + (segments == null ? "no" : segments.size()) + " chunk tables");
        }
        segments = List.copyOf(segments);
    }
}
