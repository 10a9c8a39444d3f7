// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.check;

import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.IntegrityException;
import io.cryostash.store.backend.DirectoryBackend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.Repository;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.TrustedKeys;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.StoreFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Damaged stores as fixtures: each damage is found by the check that should find it, with ids. */
class CheckerTest {
    private static final HostKeys KEYS = HostKeys.ephemeral();
    private static final TrustedKeys TRUST = TrustedKeys.of(KEYS.publicKey());

    @TempDir
    Path dir;
    DirectoryBackend backend;
    Repository repo;
    String good;
    String other;
    ChunkKey onlyInOther;

    @BeforeEach
    void twoImages() throws Exception {
        backend = new DirectoryBackend(dir.resolve("store"));
        repo = Repository.open(backend, KEYS, TRUST, "h", null, ChunkStore.Options.defaults().withPackSize(64 << 10));
        Random r = new Random(1);
        try (ImageWriter w = repo.newImage()) {
            for (int i = 0; i < 20; i++) {
                byte[] b = new byte[16384];
                r.nextBytes(b);
                w.put(b);
            }
            good = w.commit("{}".getBytes());
        }
        try (ImageWriter w = repo.newImage()) {
            byte[] b = new byte[16384];
            r.nextBytes(b);
            onlyInOther = w.put(b);
            other = w.commit("{}".getBytes());
        }
    }

    @AfterEach
    void close() throws Exception {
        repo.close();
    }

    @Test
    void cleanStorePassesEveryCheck() throws Exception {
        Checker.Report r = new Checker(backend, TRUST).check(true);
        assertThat(r.ok()).isTrue();
        assertThat(r.manifests()).isEqualTo(2);
        assertThat(r.chunks()).isEqualTo(21);
        assertThat(r.packs()).isGreaterThan(1);
    }

    @Test
    void checkOfOneImageIgnoresDamageElsewhere() throws Exception {
        String pack = repo.chunks().index().lookup(onlyInOther).orElseThrow().packId();
        byte[] b = backend.get(PackReader.objectName(pack));
        b[10] ^= 1;
        backend.put(PackReader.objectName(pack), b);
        boolean packAlsoHoldsGoodChunks = repo.chunks().index().pack(pack).orElseThrow().entries().size() > 1;
        Checker.Report goodOnly = new Checker(backend, TRUST).checkImage(good);
        if (!packAlsoHoldsGoodChunks) {
            assertThat(goodOnly.ok()).isTrue();
        }
        Checker.Report otherOnly = new Checker(backend, TRUST).checkImage(other);
        assertThat(otherOnly.errors()).isNotEmpty().allSatisfy(e -> assertThat(e).isInstanceOf(IntegrityException.class));
        assertThat(otherOnly.errors()).anySatisfy(e -> assertThat(e).hasMessageContaining(pack));
    }

    @Test
    void damagedIndexObjectIsReportedByName() throws Exception {
        ObjectInfo idx = backend.list(StoreFormat.INDEX).get(0);
        byte[] b = backend.get(idx.name());
        b[20] ^= 1;
        backend.put(idx.name(), b);
        Checker.Report r = new Checker(backend, TRUST).check(false);
        assertThat(r.errors()).anySatisfy(e -> assertThat(e).hasMessageContaining(idx.name()));
        // the packs it listed are in no intact index object now, but their own indexes are read
        // (as the store does): images naming their chunks are not reported as missing chunks
        assertThat(r.orphanedPacks()).isNotEmpty();
        assertThat(r.errors()).noneSatisfy(e -> assertThat(e).isInstanceOf(ChunkMissingException.class));
    }

    @Test
    void packWithAnotherPacksBytesFailsItsHash() throws Exception {
        var packs = backend.list(StoreFormat.PACKS);
        byte[] a = backend.get(packs.get(0).name());
        byte[] b = backend.get(packs.get(1).name());
        backend.put(packs.get(0).name(), b);
        backend.put(packs.get(1).name(), a);
        Checker.Report r = new Checker(backend, TRUST).check(true);
        String id0 = packs.get(0).name().substring(StoreFormat.PACKS.length());
        assertThat(r.errors()).anySatisfy(e -> {
            assertThat(e).isInstanceOf(PackCheckException.class);
            assertThat(((PackCheckException) e).packId()).isEqualTo(id0);
        });
    }

    @Test
    void imageCheckReHashesItsChunksWithoutBeingAsked() throws Exception {
        ChunkKey victim = onlyInOther;
        var loc = repo.chunks().index().lookup(victim).orElseThrow();
        String name = PackReader.objectName(loc.packId());
        byte[] b = backend.get(name);
        b[(int) loc.entry().offset() + loc.entry().compressedLength() / 2] ^= 1; // inside the chunk, not its index
        backend.put(name, b);

        assertThat(new Checker(backend, TRUST).check(false).ok()).as("the cheap whole-store check cannot see it").isTrue();
        Checker.Report r = new Checker(backend, TRUST).checkImage(other);
        assertThat(r.errors()).anySatisfy(e -> assertThat(e).hasMessageContaining(victim.hex()));
        assertThat(r.chunks()).as("counts are the image's").isEqualTo(1);
        assertThat(r.packs()).isEqualTo(1);
    }

    @Test
    void imageCheckReadsTheTrailingIndexOfEachPackItUses() throws Exception {
        String pack = repo.chunks().index().lookup(onlyInOther).orElseThrow().packId();
        String name = PackReader.objectName(pack);
        byte[] b = backend.get(name);
        b[b.length - 40] ^= 1; // in the pack's own index or trailer, past every chunk
        backend.put(name, b);

        Checker.Report r = new Checker(backend, TRUST).checkImage(other);
        assertThat(r.errors()).anySatisfy(e -> {
            assertThat(e).isInstanceOf(PackCheckException.class);
            assertThat(((PackCheckException) e).kind()).isEqualTo(PackCheckException.Kind.INDEX_MISMATCH);
            assertThat(((PackCheckException) e).packId()).isEqualTo(pack);
        });
    }
}
