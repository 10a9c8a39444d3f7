// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.Hashing;
import io.cryostash.store.backend.DirectoryBackend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.index.IndexFiles;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.TrustedKeys;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.StoreFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random interleavings of captures on two hosts (each its own store handle, several captures open
 * at once), expiries and garbage collection, on a directory store, against a model of which
 * images exist. After every collection every live image restores (from a fresh handle, every
 * chunk re-hashed); at the end, once no capture runs, two collections leave exactly the chunks
 * that live images name: GC never loses a chunk a live image needs, and never keeps forever one
 * none needs. Grace is zero, so fresh unindexed packs of open captures are condemned at once and
 * only the capture leases protect them.
 */
class GcProperties {
    private static final HostKeys KEYS = HostKeys.ephemeral();
    private static final TrustedKeys TRUST = TrustedKeys.of(KEYS.publicKey());
    private static final int POOL = 8;
    private static final int SLOTS = 4;

    /** One step. {@code a} and {@code b} pick a slot, a chunk or an image, modulo what exists. */
    record Op(Kind kind, int a, int b) {
        enum Kind { BEGIN, PUT, REUSE, COMMIT, ABORT, DELETE, GC }

        @Override
        public String toString() {
            return kind + "(" + a + "," + b + ")";
        }
    }

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 99).map(a -> new Op(Op.Kind.BEGIN, a, 0))),
                net.jqwik.api.Tuple.of(8, Arbitraries.integers().between(0, 99).tuple2().map(t -> new Op(Op.Kind.PUT, t.get1(), t.get2()))),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 99).tuple2().map(t -> new Op(Op.Kind.REUSE, t.get1(), t.get2()))),
                net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 99).map(a -> new Op(Op.Kind.COMMIT, a, 0))),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 99).map(a -> new Op(Op.Kind.ABORT, a, 0))),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 99).map(a -> new Op(Op.Kind.DELETE, a, 0))),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 1).map(a -> new Op(Op.Kind.GC, a, 0))));
        return op.list().ofMinSize(5).ofMaxSize(60);
    }

    private static byte[][] pool() {
        byte[][] out = new byte[POOL][];
        Random r = new Random(7);
        for (int i = 0; i < POOL; i++) {
            out[i] = new byte[2048];
            r.nextBytes(out[i]);
        }
        return out;
    }

    /** An open capture: its writer, and the chunks it will name. */
    private record Open(ImageWriter writer, Map<ChunkKey, byte[]> chunks) {
    }

    /**
     * Found by the property (seed -8356449281956267595): host 1's pack, condemned while its capture
     * was open, was put back into the index by host 0's commit, which counted on its chunks; then
     * host 1's capture was abandoned and deleted the pack as its own unindexed one. The index named
     * a pack that was gone, and GC refused to run.
     */
    @net.jqwik.api.Example
    void aPackAnotherHostsCommitPutBackSurvivesTheAbandonOfTheCaptureThatWroteIt() throws Exception {
        capturesExpiriesAndGcNeverLoseALiveChunkNorKeepADeadOneForever(List.of(
                new Op(Op.Kind.BEGIN, 3, 0),
                new Op(Op.Kind.BEGIN, 0, 0),
                new Op(Op.Kind.BEGIN, 0, 0),
                new Op(Op.Kind.BEGIN, 0, 0),
                new Op(Op.Kind.PUT, 3, 1),
                new Op(Op.Kind.BEGIN, 41, 0),
                new Op(Op.Kind.BEGIN, 1, 0),
                new Op(Op.Kind.PUT, 3, 15),
                new Op(Op.Kind.BEGIN, 68, 0),
                new Op(Op.Kind.REUSE, 18, 82),
                new Op(Op.Kind.BEGIN, 99, 0),
                new Op(Op.Kind.BEGIN, 26, 0),
                new Op(Op.Kind.ABORT, 0, 0),
                new Op(Op.Kind.GC, 0, 0),
                new Op(Op.Kind.PUT, 26, 29),
                new Op(Op.Kind.BEGIN, 32, 0),
                new Op(Op.Kind.PUT, 49, 40),
                new Op(Op.Kind.PUT, 10, 7),
                new Op(Op.Kind.COMMIT, 60, 0),
                new Op(Op.Kind.PUT, 79, 12),
                new Op(Op.Kind.DELETE, 1, 0),
                new Op(Op.Kind.DELETE, 6, 0),
                new Op(Op.Kind.ABORT, 1, 0),
                new Op(Op.Kind.GC, 0, 0),
                new Op(Op.Kind.GC, 0, 0),
                new Op(Op.Kind.GC, 1, 0),
                new Op(Op.Kind.REUSE, 3, 76),
                new Op(Op.Kind.PUT, 0, 32),
                new Op(Op.Kind.GC, 0, 0),
                new Op(Op.Kind.PUT, 10, 20),
                new Op(Op.Kind.PUT, 14, 75),
                new Op(Op.Kind.REUSE, 0, 3),
                new Op(Op.Kind.COMMIT, 2, 0)));
    }

    @Property(tries = 150)
    void capturesExpiriesAndGcNeverLoseALiveChunkNorKeepADeadOneForever(@ForAll("ops") List<Op> ops) throws Exception {
        Path dir = Files.createTempDirectory("gc-prop");
        byte[][] pool = pool();
        List<Repository> hosts = new ArrayList<>();
        List<Repository> extra = new ArrayList<>();
        try {
            for (int h = 0; h < 2; h++) {
                hosts.add(open(dir, "host-" + h));
            }
            Map<Integer, Open> open = new HashMap<>();
            Map<String, Map<ChunkKey, byte[]>> live = new LinkedHashMap<>(); // the model: images that exist
            for (Op op : ops) {
                switch (op.kind()) {
                    case BEGIN -> {
                        int slot = op.a() % SLOTS;
                        if (!open.containsKey(slot)) {
                            open.put(slot, new Open(hosts.get(slot % 2).newImage(), new HashMap<>()));
                        }
                    }
                    case PUT -> {
                        Open o = open.get(op.a() % SLOTS);
                        if (o != null) {
                            byte[] data = pool[op.b() % POOL];
                            o.chunks().put(o.writer().put(data), data);
                        }
                    }
                    case REUSE -> {
                        Open o = open.get(op.a() % SLOTS);
                        List<String> ids = new ArrayList<>(live.keySet());
                        if (o != null && !ids.isEmpty()) {
                            Map<ChunkKey, byte[]> parent = live.get(ids.get(op.b() % ids.size()));
                            o.writer().reuse(parent.keySet());
                            o.chunks().putAll(parent);
                        }
                    }
                    case COMMIT -> {
                        Open o = open.remove(op.a() % SLOTS);
                        if (o != null) {
                            try (ImageWriter w = o.writer()) {
                                live.put(w.commit(("{\"n\":" + live.size() + "}").getBytes()), o.chunks());
                            } catch (ChunkMissingException refused) {
                                // a reused image was deleted and collected, or condemned before this capture began
                                assertThat(refused.getMessage()).contains("without that parent");
                            }
                        }
                    }
                    case ABORT -> {
                        Open o = open.remove(op.a() % SLOTS);
                        if (o != null) {
                            o.writer().close();
                        }
                    }
                    case DELETE -> {
                        List<String> ids = new ArrayList<>(live.keySet());
                        if (!ids.isEmpty()) {
                            String id = ids.get(op.a() % ids.size());
                            hosts.get(0).deleteImage(id);
                            live.remove(id);
                        }
                    }
                    case GC -> {
                        hosts.get(op.a()).collectGarbage(new GarbageCollector.Options(Duration.ZERO, 0.0));
                        assertRestore(dir, live, extra);
                    }
                }
            }
            for (Open o : open.values()) {
                o.writer().close();
            }
            for (Repository h : hosts) {
                // an abandoned capture's last pack may still be uploading: wait for it (and index it),
                // so that "GC twice" below means twice after everything was written
                h.chunks().flush();
            }
            hosts.get(0).collectGarbage(new GarbageCollector.Options(Duration.ZERO, 0.0));
            hosts.get(1).collectGarbage(new GarbageCollector.Options(Duration.ZERO, 0.0));
            assertRestore(dir, live, extra);
            DirectoryBackend b = new DirectoryBackend(dir);
            Set<ChunkKey> needed = new HashSet<>();
            live.values().forEach(m -> needed.addAll(m.keySet()));
            Set<ChunkKey> stored = new HashSet<>();
            Set<String> packs = new HashSet<>();
            for (ObjectInfo o : b.list(StoreFormat.PACKS)) {
                String id = o.name().substring(StoreFormat.PACKS.length());
                packs.add(id);
                for (PackIndexEntry e : PackReader.readIndex(b, id, o.size())) {
                    stored.add(e.key());
                }
            }
            assertThat(stored).as("chunks in packs once every capture has ended and GC ran twice").isEqualTo(needed);
            assertThat(b.list(StoreFormat.CONDEMNED)).isEmpty();
            assertThat(b.list(StoreFormat.LOCKS)).isEmpty();
            Set<String> indexed = new HashSet<>();
            for (ObjectInfo o : b.list(StoreFormat.INDEX)) {
                IndexFiles.decode(o.name(), b.get(o.name())).forEach(p -> indexed.add(p.id()));
            }
            assertThat(indexed).as("the index names exactly the packs there are").isEqualTo(packs);
        } finally {
            for (Repository r : hosts) {
                r.close();
            }
            for (Repository r : extra) {
                r.close();
            }
            try (var walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static Repository open(Path dir, String host) throws IOException {
        return Repository.open(new DirectoryBackend(dir), KEYS, TRUST, host, null,
                ChunkStore.Options.defaults().withPackSize(8 << 10).withThreads(1));
    }

    /** Every image of the model reads back from a fresh handle, every chunk byte for byte. */
    private static void assertRestore(Path dir, Map<String, Map<ChunkKey, byte[]>> live, List<Repository> extra) throws IOException {
        Repository fresh = open(dir, "reader");
        extra.add(fresh);
        for (Map.Entry<String, Map<ChunkKey, byte[]>> im : live.entrySet()) {
            assertThat(fresh.readImage(im.getKey()).manifest().chunks()).containsAll(im.getValue().keySet());
            Map<ChunkKey, byte[]> got = new HashMap<>();
            fresh.chunks().readChunks(im.getValue().keySet(), (k, d) -> {
                synchronized (got) {
                    got.put(k, d.clone());
                }
            });
            for (Map.Entry<ChunkKey, byte[]> e : im.getValue().entrySet()) {
                assertThat(got.get(e.getKey())).as("chunk %s of %s", e.getKey().hex(), im.getKey()).isEqualTo(e.getValue());
                assertThat(Hashing.key(got.get(e.getKey()))).isEqualTo(e.getKey());
            }
        }
    }
}
