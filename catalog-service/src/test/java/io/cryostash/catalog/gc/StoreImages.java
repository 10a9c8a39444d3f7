// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import io.cryostash.catalog.Fixtures;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.catalog.ProcessSummary;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.backend.DirectoryBackend;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.Repository;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.TrustedKeys;

/**
 * An agent's side of the store for catalog tests: writes images of random chunks into the
 * catalog's test store (a directory) and makes the registration an agent would send for each,
 * with every chunk's pack, offset and stored size as the store's index has them.
 */
final class StoreImages implements AutoCloseable {
    static final Path STORE = Path.of("target/test-store");
    private static final HostKeys KEYS = HostKeys.ephemeral();
    private final Repository repo;

    StoreImages() throws IOException {
        repo = Repository.open(new DirectoryBackend(STORE), KEYS, TrustedKeys.of(KEYS.publicKey()), "agent-host", null,
                ChunkStore.Options.defaults().withPackSize(48 << 10).withThreads(1));
    }

    /**
     * Removes the images other tests left in the test store, but not the catalog's audit anchors
     * ({@code audit/}): those belong to this run's chain, and AuditChainTests checks them whatever
     * order the test classes run in. (The whole store starts empty with the context: FixturesConfig.)
     */
    static void wipe() throws IOException {
        if (Files.exists(STORE)) {
            Path anchors = STORE.resolve("audit");
            try (var walk = Files.walk(STORE)) {
                walk.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(STORE) && !p.startsWith(anchors))
                        .forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Random 16 KiB chunks, seeded: the same seed gives the same chunk (and so deduplicates). */
    static byte[] chunk(long seed) {
        byte[] b = new byte[16 << 10];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Writes an image of the given chunks and returns the registration for it. */
    ImageRegistration write(Fixtures.Agent agent, String job, Instant at, long... seeds) throws IOException {
        List<ChunkKey> keys = new ArrayList<>();
        String id;
        try (ImageWriter w = repo.newImage()) {
            for (long s : seeds) keys.add(w.put(chunk(s)));
            id = w.commit(("{\"job\":\"" + job + "\"}").getBytes());
        }
        ChunkIndex index = repo.chunks().index();
        List<ChunkRef> refs = new ArrayList<>();
        for (ChunkKey k : keys) {
            ChunkIndex.Location l = index.lookup(k).orElseThrow();
            refs.add(new ChunkRef(k.hex(), l.entry().uncompressedLength(), (long) l.entry().compressedLength(), l.packId(),
                    l.entry().offset()));
        }
        long stored = refs.stream().mapToLong(ChunkRef::storedBytes).sum();
        return new ImageRegistration(id, agent.hostId(), job, Map.of(), at, null, (long) seeds.length * (16 << 10), stored,
                StoreFormat.MANIFESTS + id, "sig-base64",
                new ProcessSummary(4242, "/usr/bin/sim", List.of("/usr/bin/sim"), "x86_64", List.of("sse2"), Fixtures.VDSO,
                        "6.18.0", 1, 10, 3, 1_000_000L),
                refs);
    }

    Repository repository() {
        return repo;
    }

    /** Total bytes of the pack objects in the store. */
    long packBytes() throws IOException {
        return repo.chunks().backend().list(StoreFormat.PACKS).stream().mapToLong(o -> o.size()).sum();
    }

    @Override
    public void close() throws IOException {
        repo.close();
    }
}
