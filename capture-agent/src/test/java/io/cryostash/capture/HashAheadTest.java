// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.capture.memory.CapturedArea;
import io.cryostash.capture.memory.MemoryCapture;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.store.Hashing;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.KnownKeys;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A --kill capture hashes its copied memory while the spool is on the disk and stores the pages
 * after, looking those keys up: every chunk stored so must carry the key of its own bytes, the
 * whole chunks inside a run must be found there, and the rest (a chunk across two runs, a
 * partial one) hashed when stored.
 */
class HashAheadTest {
    @TempDir
    Path tmp;

    @Test
    void chunksStoredWithKeysHashedAheadCarryTheKeysOfTheirOwnBytes() throws Exception {
        int page = 4096;
        AreaChunker chunker = new AreaChunker(page, 16);
        long start = 0x7f0000000000L;
        // runs: pages 3..40 (chunks 1 whole, chunk 0 and 2 partial), then 40..100 (chunk 2 across both runs, 3..5 whole)
        ByteBuffer one = fill(ByteBuffer.allocateDirect(37 * page), 1);
        ByteBuffer two = fill(ByteBuffer.allocateDirect(60 * page), 2);
        MemoryArea area = new MemoryArea(start, start + 112L * page, "rw-p", 0, "", MemoryArea.Kind.ANONYMOUS, null, java.util.Set.of());
        CapturedArea captured = new CapturedArea(area, List.of(new CapturedArea.Run(3, 37, one), new CapturedArea.Run(40, 60, two)));
        MemoryCapture.Result memory = new MemoryCapture.Result(List.of(captured), 97L * page, null);

        KnownKeys known = new KnownKeys();
        ImageArchive.hashAhead(chunker, memory, known, () -> false);
        assertThat(known.size()).as("whole chunks inside one run: 1 in the first, 3 in the second (pages 48..96)").isEqualTo(4);

        try (ImageStore store = ImageStore.local(tmp.resolve("store"))) {
            ImageWriter w = store.newImage().knowing(known);
            List<MemoryArea> areas = ImageArchive.storeAreas(w, chunker, memory, java.util.Set.of());
            AreaChunks content = areas.get(0).content();
            assertThat(known.found()).as("every whole chunk's key taken from the hashing ahead").isEqualTo(4);
            for (AreaChunk c : content.chunks()) {
                ByteBuffer bytes = ByteBuffer.allocate(Long.bitCount(c.presence()) * page);
                for (int i = 0; i < c.pageCount(); i++) {
                    if ((c.presence() >>> i & 1) != 0) {
                        long p = c.firstPage() + i;
                        ByteBuffer run = p < 40 ? one : two;
                        long first = p < 40 ? 3 : 40;
                        bytes.put(run.slice((int) ((p - first) * page), page));
                    }
                }
                assertThat(c.key()).as("chunk at page %d", c.firstPage()).isEqualTo(Hashing.key(bytes.flip()));
            }
            w.close();
        }
    }

    @Test
    void stoppedHashingLeavesTheRestToBeHashedWhenStored() throws Exception {
        AreaChunker chunker = new AreaChunker(4096, 16);
        ByteBuffer data = fill(ByteBuffer.allocateDirect(64 << 20), 3);
        MemoryArea area = new MemoryArea(0x10000000L, 0x10000000L + (64 << 20), "rw-p", 0, "", MemoryArea.Kind.ANONYMOUS, null, java.util.Set.of());
        MemoryCapture.Result memory = new MemoryCapture.Result(
                List.of(new CapturedArea(area, List.of(new CapturedArea.Run(0, (64 << 20) / 4096, data)))), 64 << 20, null);
        KnownKeys known = new KnownKeys();
        ImageArchive.hashAhead(chunker, memory, known, () -> true);
        assertThat(known.size()).as("stopped before the first batch").isZero();
    }

    private static ByteBuffer fill(ByteBuffer b, long seed) {
        byte[] bytes = new byte[b.capacity()];
        new Random(seed).nextBytes(bytes);
        return b.put(bytes).clear();
    }
}
