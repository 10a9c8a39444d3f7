// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.index;

import io.cryostash.store.Hashing;
import io.cryostash.store.IntegrityException;
import io.cryostash.store.backend.DirectoryBackend;
import io.cryostash.store.pack.ChunkCodec;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.pack.PackWriter;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IndexFilesTest {
    @TempDir
    Path dir;

    private static PackSummary pack(DirectoryBackend b, int seed, int chunks) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PackWriter w = new PackWriter(out);
        ChunkCodec c = new ChunkCodec(1);
        for (int i = 0; i < chunks; i++) {
            byte[] d = ("chunk " + seed + "/" + i).repeat(100).getBytes();
            w.add(Hashing.key(d), c.compress(d, 0, d.length), d.length);
        }
        PackWriter.Finished f = w.finish();
        if (b != null) {
            b.put(PackReader.objectName(f.id()), out.toByteArray());
        }
        return new PackSummary(f.id(), f.size(), f.entries());
    }

    @Test
    void encodeDecodeRoundTrips() throws Exception {
        List<PackSummary> packs = List.of(pack(null, 1, 3), pack(null, 2, 0), pack(null, 3, 5));
        byte[] enc = IndexFiles.encode(packs);
        List<PackSummary> back = IndexFiles.decode("index/" + Hashing.hex(java.util.Arrays.copyOfRange(enc, enc.length - 32, enc.length)), enc);
        assertThat(back).containsExactlyInAnyOrderElementsOf(packs);
    }

    @Test
    void anyFlippedByteIsDetected() throws Exception {
        byte[] enc = IndexFiles.encode(List.of(pack(null, 1, 2)));
        for (int i = 0; i < enc.length; i += 7) {
            byte[] d = enc.clone();
            d[i] ^= 4;
            assertThatThrownBy(() -> IndexFiles.decode(null, d)).as("byte %d", i).isInstanceOf(IntegrityException.class);
        }
    }

    @Test
    void objectStoredUnderAnotherNameIsRejected() throws Exception {
        byte[] enc = IndexFiles.encode(List.of(pack(null, 1, 2)));
        assertThatThrownBy(() -> IndexFiles.decode("index/" + "0".repeat(64), enc)).hasMessageContaining("wrong name");
    }

    @Test
    void rebuildFromPacksMatchesTheWrittenIndex() throws Exception {
        DirectoryBackend b = new DirectoryBackend(dir);
        List<PackSummary> packs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            packs.add(pack(b, i, 10 + i));
        }
        IndexFiles.write(b, packs);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            ChunkIndex loaded = IndexFiles.loadAll(b, pool).index();
            List<String> unreadable = new ArrayList<>();
            ChunkIndex rebuilt = IndexFiles.rebuild(b, pool, unreadable);
            assertThat(unreadable).isEmpty();
            assertThat(rebuilt.packs()).containsExactlyInAnyOrderElementsOf(loaded.packs());
            assertThat(rebuilt.size()).isEqualTo(5 * 10 + 10);
            // a damaged pack is skipped and named
            b.put(PackReader.objectName(packs.get(0).id()), new byte[10]);
            ChunkIndex partial = IndexFiles.rebuild(b, pool, unreadable);
            assertThat(unreadable).containsExactly(packs.get(0).id());
            assertThat(partial.packs()).hasSize(4);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void indexAnswersHasAndMissingAndMerges() throws Exception {
        PackSummary p1 = pack(null, 1, 3);
        PackSummary p2 = pack(null, 2, 3);
        ChunkIndex a = new ChunkIndex();
        a.addPack(p1);
        ChunkIndex b = new ChunkIndex();
        b.addPack(p2);
        b.addPack(p1);
        a.merge(b);
        assertThat(a.size()).isEqualTo(6);
        ChunkKey absent = Hashing.key(new byte[1]);
        List<ChunkKey> ask = new ArrayList<>();
        p2.entries().forEach(e -> ask.add(e.key()));
        ask.add(absent);
        assertThat(a.missing(ask)).containsExactly(absent);
        PackIndexEntry e = p2.entries().get(1);
        assertThat(a.lookup(e.key())).get().extracting(ChunkIndex.Location::packId).isEqualTo(p2.id());
    }
}
