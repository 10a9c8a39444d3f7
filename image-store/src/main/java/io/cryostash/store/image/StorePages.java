// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

import java.io.IOException;
import java.io.UncheckedIOException;

import io.cryostash.store.IntegrityException;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.schema.image.MemoryArea;

/** An area's pages from the chunk store: chunks fetched, hash-checked, decompressed, handed on page runs. */
final class StorePages implements PageSource {
    private final ChunkStore chunks;

    StorePages(ChunkStore chunks) {
        this.chunks = chunks;
    }

    @Override
    public void forEachRun(MemoryArea area, RunSink sink) {
        forEachRun(area, sink, chunks::readChunkBuffers);
    }

    /** An area's page runs from {@code source} (the store, or chunks fetched ahead: {@link PrefetchedPages}). */
    static void forEachRun(MemoryArea area, RunSink sink, AreaChunker.BufferSource source) {
        if (area.content() == null) {
            return;
        }
        try {
            AreaChunker.restoreBuffers(area.content(), source,
                    (address, src) -> sink.accept((address - area.start()) / area.content().pageSize(), src));
        } catch (IntegrityException e) {
            throw new ImageIntegrityException(e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the pages of area 0x" + Long.toHexString(area.start()) + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        // the store outlives its page sources
    }
}
