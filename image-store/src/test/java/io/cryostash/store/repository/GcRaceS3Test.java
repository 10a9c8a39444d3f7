// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.Hashing;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.RetryingBackend;
import io.cryostash.store.backend.S3Backend;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.backend.S3ProxyFixture;
import io.cryostash.store.check.Checker;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.TrustedKeys;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.StoreFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Garbage collection racing captures on the S3 back end (S3Proxy), each party with its own store
 * handle (its own S3 client, chunk store and index), as separate hosts would have: capture threads
 * write images from a shared pool of chunk contents (so they keep finding chunks that others stored
 * and that expiry just made dead) and incremental images that reuse their previous image's chunks;
 * an expiry thread deletes images; a GC thread collects without pause, with no grace period for
 * unindexed packs (the harshest setting: only the leases protect in-flight captures). Every
 * capture either commits an image that restores, or is refused with a message (only when it
 * reuses a parent that was deleted and condemned before it started). At the end every image that
 * was not deleted restores from a fresh handle, byte for byte, and the checker finds nothing wrong.
 */
class GcRaceS3Test {
    private static final HostKeys KEYS = HostKeys.ephemeral();
    private static final TrustedKeys TRUST = TrustedKeys.of(KEYS.publicKey());
    static S3ProxyFixture s3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3ProxyFixture.inMemory();
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    private Repository host(S3Config config, String name) throws IOException {
        Backend b = new RetryingBackend(S3Backend.open(config), 5, Duration.ofMillis(20), Duration.ofMillis(200));
        return Repository.open(b, KEYS, TRUST, name, tmp.resolve("cache-" + name),
                ChunkStore.Options.defaults().withPackSize(32 << 10).withThreads(1));
    }

    /** Chunk contents shared by all capturers: 4 KiB each, half of them compressible. */
    private static byte[][] pool(int n) {
        byte[][] out = new byte[n][];
        Random r = new Random(42);
        for (int i = 0; i < n; i++) {
            out[i] = new byte[4096];
            if (i % 2 == 0) {
                r.nextBytes(out[i]);
            } else {
                for (int j = 0; j < 4096; j += 64) {
                    out[i][j] = (byte) r.nextInt();
                }
            }
        }
        return out;
    }

    record Written(String id, Map<ChunkKey, byte[]> chunks) {
    }

    /** Reads the image and every chunk it should hold through {@code repo}, byte for byte. */
    private static void verify(Repository repo, Written im, AtomicInteger count) throws IOException {
        Repository.Image read = repo.readImage(im.id());
        assertThat(read.manifest().chunks()).containsAll(im.chunks().keySet());
        Map<ChunkKey, byte[]> got = new ConcurrentHashMap<>();
        repo.chunks().readChunks(im.chunks().keySet(), (k, bytes) -> got.put(k, bytes.clone()));
        for (Map.Entry<ChunkKey, byte[]> e : im.chunks().entrySet()) {
            assertThat(got.get(e.getKey())).as("chunk %s of image %s", e.getKey().hex(), im.id()).isEqualTo(e.getValue());
            assertThat(Hashing.key(got.get(e.getKey()))).isEqualTo(e.getKey());
        }
        if (count != null) {
            count.incrementAndGet();
        }
    }

    /** On a failed collection, what the store holds of the chunk it missed (to tell a lost chunk from a bad listing). */
    private static void diagnose(Backend b, ChunkKey k, Map<String, Written> images, List<String> deleted) throws IOException {
        for (Written w : images.values()) {
            if (w.chunks().containsKey(k)) {
                System.out.println("DIAG named by " + w.id() + " deleted=" + deleted.contains(w.id()) + " exists="
                        + b.exists(StoreFormat.MANIFESTS + w.id()));
            }
        }
        for (io.cryostash.store.backend.ObjectInfo o : b.list(StoreFormat.PACKS)) {
            String id = o.name().substring(StoreFormat.PACKS.length());
            var entries = io.cryostash.store.pack.PackReader.readIndex(b, id, o.size());
            if (entries.stream().anyMatch(e -> e.key().equals(k))) {
                System.out.println("DIAG in pack " + id + " modified " + o.modified());
            }
        }
        for (io.cryostash.store.backend.ObjectInfo o : b.list(StoreFormat.INDEX)) {
            for (var p : io.cryostash.store.index.IndexFiles.decode(o.name(), b.get(o.name()))) {
                if (p.entries().stream().anyMatch(e -> e.key().equals(k))) {
                    System.out.println("DIAG index " + o.name() + " names it in pack " + p.id());
                }
            }
        }
        for (io.cryostash.store.backend.ObjectInfo o : b.list(StoreFormat.CONDEMNED)) {
            for (var p : io.cryostash.store.index.IndexFiles.decode(null, b.get(o.name()))) {
                if (p.entries().stream().anyMatch(e -> e.key().equals(k))) {
                    System.out.println("DIAG record " + o.name() + " names it in pack " + p.id());
                }
            }
        }
        for (io.cryostash.store.backend.ObjectInfo o : b.list(StoreFormat.LOCKS)) {
            System.out.println("DIAG lock " + o.name() + " " + new String(b.get(o.name())).replace("\n", " | "));
        }
    }

    @Test
    void capturesOnThreeHostsNeverLoseAChunkToAGcRunningBesideThem() throws Exception {
        S3Config config = s3.freshConfig();
        byte[][] pool = pool(120);
        int hosts = 3;
        int capturesPerHost = 40;
        Map<String, Written> images = new ConcurrentHashMap<>();
        List<String> deleted = new CopyOnWriteArrayList<>();
        List<String> refusals = new CopyOnWriteArrayList<>();
        AtomicBoolean capturing = new AtomicBoolean(true);
        AtomicInteger gcRuns = new AtomicInteger();
        AtomicInteger resurrected = new AtomicInteger();
        AtomicInteger condemned = new AtomicInteger();
        AtomicInteger deferred = new AtomicInteger();
        AtomicInteger verifiedAtOnce = new AtomicInteger();
        AtomicInteger expiredBeforeRead = new AtomicInteger();
        List<String> readFailures = new CopyOnWriteArrayList<>();
        List<Repository> handles = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(hosts + 2);
        try {
            List<Future<?>> captures = new ArrayList<>();
            for (int h = 0; h < hosts; h++) {
                Repository repo = host(config, "host-" + h);
                Repository reader = host(config, "reader-" + h); // another host, restoring what this one wrote
                handles.add(repo);
                handles.add(reader);
                int seed = h;
                captures.add(threads.submit(() -> {
                    Random r = new Random(seed);
                    Written last = null;
                    for (int i = 0; i < capturesPerHost; i++) {
                        Map<ChunkKey, byte[]> chunks = new HashMap<>();
                        try (ImageWriter w = repo.newImage()) {
                            if (last != null && r.nextBoolean()) {
                                w.reuse(last.chunks().keySet()); // incremental: the parent's chunks by name
                                chunks.putAll(last.chunks());
                            }
                            int n = 3 + r.nextInt(12);
                            for (int k = 0; k < n; k++) {
                                byte[] data = pool[r.nextInt(pool.length)];
                                chunks.put(w.put(data), data);
                                if (r.nextInt(4) == 0) {
                                    Thread.sleep(r.nextInt(30)); // a slow capture: GC runs meanwhile
                                }
                            }
                            String id = w.commit(("{\"host\":" + seed + ",\"n\":" + i + "}").getBytes());
                            last = new Written(id, chunks);
                            images.put(id, last);
                            reader.chunks().refreshIndex();
                            try {
                                verify(reader, last, verifiedAtOnce); // restorable at once from another host
                            } catch (IOException | AssertionError e) {
                                if (!deleted.contains(id)) {
                                    String again;
                                    try (Repository brandNew = host(config, "diag")) {
                                        verify(brandNew, last, null);
                                        again = "a brand-new handle reads it";
                                    } catch (IOException | AssertionError e2) {
                                        again = "a brand-new handle fails too: " + e2.getMessage();
                                    }
                                    System.out.println("DIAG reader failed on " + id + ": " + e.getMessage() + "; " + again);
                                    readFailures.add(id + ": " + e.getMessage() + "; " + again);
                                } else {
                                    expiredBeforeRead.incrementAndGet(); // the expiry thread was quicker: allowed to go
                                }
                            }
                        } catch (ChunkMissingException e) {
                            // only a reused parent that was deleted and condemned before this capture began
                            assertThat(e.getMessage()).as(e.getMessage()).contains("without that parent");
                            refusals.add(e.getMessage());
                            last = null;
                        }
                    }
                    return null;
                }));
            }
            Repository expirer = host(config, "expirer");
            handles.add(expirer);
            Future<?> expiry = threads.submit(() -> {
                Random r = new Random(99);
                while (capturing.get()) {
                    List<String> ids = new ArrayList<>(images.keySet());
                    ids.removeAll(deleted);
                    if (ids.size() > 8) {
                        String victim = ids.get(r.nextInt(ids.size()));
                        deleted.add(victim);
                        expirer.deleteImage(victim);
                    }
                    Thread.sleep(15);
                }
                return null;
            });
            Repository collector = host(config, "collector");
            handles.add(collector);
            Future<?> gc = threads.submit(() -> {
                while (capturing.get()) {
                    GarbageCollector.Report rep;
                    try {
                        rep = collector.collectGarbage(new GarbageCollector.Options(Duration.ZERO, 0.3));
                    } catch (ChunkMissingException e) {
                        System.out.println("DIAG " + e.getMessage());
                        diagnose(collector.chunks().backend(), e.chunkKey(), images, deleted);
                        throw e;
                    }
                    gcRuns.incrementAndGet();
                    resurrected.addAndGet(rep.packsResurrected());
                    condemned.addAndGet(rep.packsCondemned());
                    deferred.addAndGet(rep.recordsPending() > 0 ? 1 : 0);
                }
                return null;
            });
            for (Future<?> f : captures) {
                f.get(10, TimeUnit.MINUTES);
            }
            capturing.set(false);
            expiry.get(1, TimeUnit.MINUTES);
            gc.get(5, TimeUnit.MINUTES);

            // Quiet now: two more runs settle every record.
            collector.collectGarbage(new GarbageCollector.Options(Duration.ZERO, 0.3));
            collector.collectGarbage(new GarbageCollector.Options(Duration.ZERO, 0.3));
            assertThat(collector.chunks().backend().list(StoreFormat.CONDEMNED)).isEmpty();

            Repository fresh = host(config, "verifier");
            handles.add(fresh);
            int checked = 0;
            for (Written im : images.values()) {
                if (deleted.contains(im.id())) {
                    continue;
                }
                verify(fresh, im, null);
                checked++;
            }
            Checker.Report check = new Checker(fresh.chunks().backend(), TRUST).check(true);
            assertThat(check.errors()).isEmpty();
            System.out.printf("GC race: %d images written (%d restored at once from another host, the others deleted"
                            + " first), %d deleted, %d restored at the end, %d refused; %d GC runs, %d packs condemned, %d"
                            + " resurrected, %d runs left a record for later%n", images.size(), verifiedAtOnce.get(),
                    deleted.size(), checked, refusals.size(), gcRuns.get(),
                    condemned.get(), resurrected.get(), deferred.get());
            assertThat(readFailures).isEmpty();
            assertThat(verifiedAtOnce.get() + expiredBeforeRead.get()).isEqualTo(images.size());
            assertThat(gcRuns.get()).as("GC ran many times while captures wrote").isGreaterThanOrEqualTo(10);
            assertThat(images.size() + refusals.size()).isEqualTo(hosts * capturesPerHost);
            assertThat(checked).isPositive();
        } finally {
            threads.shutdownNow();
            for (Repository r : handles) {
                r.close();
            }
        }
    }
}
