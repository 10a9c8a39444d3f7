// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of a {@link ChunkStore}: what callers handed in, what was new, what was skipped as
 * already stored, and what went to the back end. Tests assert deduplication from these; the
 * capture agent reports them per image.
 */
public final class StoreStats {
    final AtomicLong chunksPut = new AtomicLong();
    final AtomicLong chunksNew = new AtomicLong();
    final AtomicLong chunksDeduplicated = new AtomicLong();
    final AtomicLong bytesPut = new AtomicLong();
    final AtomicLong bytesNew = new AtomicLong();
    final AtomicLong compressedBytes = new AtomicLong();
    final AtomicLong packsUploaded = new AtomicLong();
    final AtomicLong packBytesUploaded = new AtomicLong();
    final AtomicLong indexObjectsWritten = new AtomicLong();
    final AtomicLong chunksRead = new AtomicLong();
    final AtomicLong bytesRead = new AtomicLong();

    /** An immutable copy of the counters. */
    public record Snapshot(long chunksPut, long chunksNew, long chunksDeduplicated, long bytesPut, long bytesNew,
                           long compressedBytes, long packsUploaded, long packBytesUploaded, long indexObjectsWritten,
                           long chunksRead, long bytesRead) {
        /** Counters accumulated since {@code earlier}. */
        public Snapshot minus(Snapshot earlier) {
            return new Snapshot(chunksPut - earlier.chunksPut, chunksNew - earlier.chunksNew,
                    chunksDeduplicated - earlier.chunksDeduplicated, bytesPut - earlier.bytesPut,
                    bytesNew - earlier.bytesNew, compressedBytes - earlier.compressedBytes,
                    packsUploaded - earlier.packsUploaded, packBytesUploaded - earlier.packBytesUploaded,
                    indexObjectsWritten - earlier.indexObjectsWritten, chunksRead - earlier.chunksRead,
                    bytesRead - earlier.bytesRead);
        }
    }

    public Snapshot snapshot() {
        return new Snapshot(chunksPut.get(), chunksNew.get(), chunksDeduplicated.get(), bytesPut.get(), bytesNew.get(),
                compressedBytes.get(), packsUploaded.get(), packBytesUploaded.get(), indexObjectsWritten.get(),
                chunksRead.get(), bytesRead.get());
    }
}
