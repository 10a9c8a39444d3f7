// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;

/** How {@link ChunkStore#readChunks} cuts a pack's wanted chunks into ranged reads ({@link ChunkStore#spans}). */
class ReadSpansTest {
    private static PackIndexEntry entry(long offset, int length) {
        byte[] k = new byte[32];
        new Random(offset).nextBytes(k);
        return new PackIndexEntry(ChunkKey.of(k), offset, length, 65536, 0);
    }

    /** {@code n} chunks of {@code length} bytes back to back from {@code offset}. */
    private static List<PackIndexEntry> run(long offset, int n, int length) {
        List<PackIndexEntry> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(entry(offset + (long) i * length, length));
        }
        return out;
    }

    private static long bytes(List<PackIndexEntry> span) {
        return span.get(span.size() - 1).end() - span.get(0).offset();
    }

    @Test
    void aWholePackIsReadInAboutEqualPartsNoneLargerThanTheLimit() {
        List<PackIndexEntry> pack = run(0, 255, 33_000); // an 8 MiB pack of 255 chunks
        List<PackIndexEntry> shuffled = new ArrayList<>(pack);
        Collections.shuffle(shuffled, new Random(1));
        List<List<PackIndexEntry>> spans = ChunkStore.spans(shuffled);
        assertThat(spans).hasSize(5);
        assertThat(spans).allSatisfy(s -> assertThat(bytes(s)).isLessThanOrEqualTo(ChunkStore.MAX_SPAN)
                .isGreaterThan(ChunkStore.MAX_SPAN / 2));
        assertThat(spans.stream().flatMap(List::stream).toList()).as("every chunk once, in pack order").isEqualTo(pack);
    }

    @Test
    void aLargeGapBetweenWantedChunksStartsANewRead() {
        List<PackIndexEntry> wanted = new ArrayList<>(run(0, 3, 10_000));
        wanted.addAll(run(30_000 + ChunkStore.MAX_GAP + 1, 2, 10_000)); // chunks of other images in between
        wanted.addAll(run(50_000 + ChunkStore.MAX_GAP + 1 + ChunkStore.MAX_GAP, 1, 10_000)); // a gap of exactly MAX_GAP
        List<List<PackIndexEntry>> spans = ChunkStore.spans(wanted);
        assertThat(spans).extracting(List::size).containsExactly(3, 3);
    }

    @Test
    void aChunkLargerThanTheLimitIsReadAlone() {
        List<PackIndexEntry> wanted = List.of(entry(0, 1000), entry(1000, ChunkStore.MAX_SPAN + 5), entry(ChunkStore.MAX_SPAN + 6005, 1000));
        assertThat(ChunkStore.spans(wanted)).extracting(List::size).containsExactly(1, 1, 1);
    }
}
