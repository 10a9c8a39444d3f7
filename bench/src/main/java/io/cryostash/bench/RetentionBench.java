// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.cryostash.catalog.CatalogLauncher;
import io.cryostash.catalog.gc.GcRun;
import io.cryostash.catalog.gc.GcService;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.image.ImageService;
import io.cryostash.catalog.retention.RetentionRules;
import io.cryostash.catalog.retention.RetentionService;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.security.AgentContext;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.catalog.ProcessSummary;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.Backends;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.Repository;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.TrustedKeys;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Forget and garbage collection at scale: {@code images} images of {@code jobs} jobs, each image
 * {@code chunksPerImage} chunks of {@code chunkBytes} random bytes of which {@code newFraction} are new
 * and the rest its job's previous image's (an incremental capture), written into an S3 store (S3Proxy
 * on a directory, counting every request it serves) and registered in a catalog on its embedded
 * PostgreSQL. Then, with a default policy keeping the last {@code keepLast} of each job: a dry run, the
 * real forget, and the catalog's garbage collection. Prints time, Java heap and process peak memory,
 * S3 requests by kind, and the bytes the store gave back against the bytes the dry run expected.
 *
 * <p>Usage: {@code bench/run retention [images] [jobs] [chunksPerImage] [newFraction] [chunkBytes] [keepLast]}
 * (defaults 1000 20 12500 0.8 256 10: 10 million distinct chunks).
 */
public final class RetentionBench {

    private RetentionBench() {
    }

    public static void main(String[] args) throws Exception {
        int images = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int jobs = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int perImage = args.length > 3 ? Integer.parseInt(args[3]) : 12_500;
        double newFraction = args.length > 4 ? Double.parseDouble(args[4]) : 0.8;
        int chunkBytes = args.length > 5 ? Integer.parseInt(args[5]) : 256;
        int keepLast = args.length > 6 ? Integer.parseInt(args[6]) : 10;
        System.out.printf("retention bench %s: %d images of %d jobs, %d chunks each (%.0f %% new), %d-byte chunks,"
                        + " keep last %d; machine: %d cores, load %s%n", Instant.now(), images, jobs, perImage,
                newFraction * 100, chunkBytes, keepLast, Runtime.getRuntime().availableProcessors(), load());
        Path data = Files.createTempDirectory("cryostash-retention-bench");
        // the catalog's database runs as its own account, which must pass through (not read) this directory
        Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
        HeapWatch heap = new HeapWatch();
        try (S3Server s3 = new S3Server(data.resolve("s3"), requests)) {
            String store = "s3://cryostash/bench";
            S3Config.Overrides so = s3.overrides();
            ConfigurableApplicationContext ctx = CatalogLauncher.run(0, data.resolve("catalog"), null,
                    "--cryostash.catalog.store=" + store, "--cryostash.catalog.s3-endpoint=" + so.endpoint(),
                    "--cryostash.catalog.s3-region=" + so.region(), "--cryostash.catalog.s3-access-key=" + so.accessKey(),
                    "--cryostash.catalog.s3-secret-key=" + so.secretKey(), "--cryostash.catalog.gc.schedule=false",
                    "--cryostash.catalog.gc.grace=PT0S", "--cryostash.catalog.retention-schedule=false",
                    "--cryostash.catalog.audit.verify-schedule=false", "--cryostash.catalog.audit.anchor-schedule=false",
                    "--cryostash.catalog.quota.sample-schedule=false", "--cryostash.catalog.admin-password=bench-password");
            try {
                long t0 = System.nanoTime();
                ctx.getBean(HostRepository.class).insert("bench-host", "bench-host");
                ImageService imageService = ctx.getBean(ImageService.class);
                write(store, so, images, jobs, perImage, newFraction, chunkBytes,
                        r -> AgentContext.runAs("bench-host", () -> imageService.register(r)));
                System.out.printf("wrote %d images into the store and registered them in the catalog in %.1f s%n", images,
                        (System.nanoTime() - t0) / 1e9);
                RetentionService retention = ctx.getBean(RetentionService.class);
                Actor admin = new Actor("bench", "USER", null);
                // as an administrator would through the API (the policy records who created it)
                org.springframework.security.core.context.SecurityContextHolder.getContext().setAuthentication(
                        org.springframework.security.authentication.UsernamePasswordAuthenticationToken.authenticated("bench",
                                null, List.of(new org.springframework.security.core.authority.SimpleGrantedAuthority("ROLE_ADMIN"))));
                retention.create(new RetentionService.PolicyInput("bench-default", null, RetentionRules.keepLast(keepLast), true));
                long storeBefore = packBytes(store, so);
                System.out.printf("store: %s in packs%n", human(storeBefore));

                heap.reset();
                requests.clear();
                t0 = System.nanoTime();
                RetentionService.Outcome dry = retention.applyAll(true, admin);
                report("forget, dry run (all jobs)", t0, heap, requests);
                System.out.printf("  would expire %d images, keep %d; frees %s in %d chunks (only those images hold them)%n",
                        dry.expired(), dry.kept(), human(dry.freedBytes()), dry.freedChunks());

                heap.reset();
                requests.clear();
                t0 = System.nanoTime();
                RetentionService.Outcome real = retention.applyAll(false, admin);
                report("forget (all jobs)", t0, heap, requests);
                System.out.printf("  expired %d images%n", real.expired());

                GcService gc = ctx.getBean(GcService.class);
                heap.reset();
                requests.clear();
                t0 = System.nanoTime();
                GcRun dryGc = gc.run(true, admin);
                report("gc, dry run", t0, heap, requests);
                System.out.printf("  would free %s%n", human(dryGc.bytesFreed()));

                heap.reset();
                requests.clear();
                t0 = System.nanoTime();
                GcRun run = gc.run(false, admin);
                report("gc (manifests of expired images, then the store's GC, then the catalog's chunk rows)", t0, heap, requests);
                if (!"SUCCEEDED".equals(run.state())) throw new IllegalStateException("gc failed: " + run.error());
                long storeAfter = packBytes(store, so);
                System.out.printf("  %d manifests deleted; report: %s%n", run.manifestsDeleted(), run.report());
                long withIndex = dry.freedBytes() + 48 * dry.freedChunks();
                System.out.printf("  store: %s before, %s after: %s freed (GC says %s); the forget dry run expected %s of"
                                + " chunks, %s with their 48-byte pack index entries: freed/expected %.4f; the GC dry run"
                                + " said %s%n", human(storeBefore), human(storeAfter), human(storeBefore - storeAfter),
                        human(run.bytesFreed()), human(dry.freedBytes()), human(withIndex),
                        (double) (storeBefore - storeAfter) / Math.max(1, withIndex), human(dryGc.bytesFreed()));
            } finally {
                ctx.close();
            }
        } finally {
            heap.close();
            System.out.printf("process peak RSS (VmHWM) %s; load now %s%n", peakRss(), load());
        }
    }

    /** Writes the images and hands each the registration an agent would send (every chunk with pack and offset). */
    private static void write(String store, S3Config.Overrides s3, int images, int jobs, int perImage, double newFraction,
                              int chunkBytes, java.util.function.Consumer<ImageRegistration> register) throws Exception {
        HostKeys keys = HostKeys.ephemeral();
        Backend backend = Backends.open(store, s3, Map.of(), null);
        Random rnd = new Random(1);
        try (Repository repo = Repository.open(backend, keys, TrustedKeys.of(keys.publicKey()), "bench-host", null,
                ChunkStore.Options.defaults())) {
            Map<Integer, List<ChunkKey>> previous = new TreeMap<>();
            Instant t = Instant.parse("2026-01-01T00:00:00Z");
            long writeNanos = 0;
            long registerNanos = 0;
            for (int i = 0; i < images; i++) {
                long w0 = System.nanoTime();
                int job = i % jobs;
                List<ChunkKey> prev = previous.get(job);
                int reused = prev == null ? 0 : (int) Math.round(perImage * (1 - newFraction));
                List<ChunkKey> named = new ArrayList<>(perImage);
                String id;
                try (ImageWriter w = repo.newImage()) {
                    if (reused > 0) {
                        List<ChunkKey> keep = prev.subList(0, reused);
                        w.reuse(keep);
                        named.addAll(keep);
                    }
                    List<java.nio.ByteBuffer> fresh = new ArrayList<>();
                    for (int c = reused; c < perImage; c++) {
                        byte[] b = new byte[chunkBytes];
                        rnd.nextBytes(b);
                        fresh.add(java.nio.ByteBuffer.wrap(b));
                    }
                    named.addAll(w.putAll(fresh));
                    id = w.commit(("{\"job\":" + job + "}").getBytes());
                }
                java.util.Collections.shuffle(named, rnd); // the next image reuses a random part of this one
                previous.put(job, named);
                ChunkIndex index = repo.chunks().index();
                List<ChunkRef> refs = new ArrayList<>(named.size());
                for (ChunkKey k : named) {
                    ChunkIndex.Location l = index.lookup(k).orElseThrow();
                    refs.add(new ChunkRef(k.hex(), l.entry().uncompressedLength(), (long) l.entry().compressedLength(),
                            l.packId(), l.entry().offset()));
                }
                long r0 = System.nanoTime();
                writeNanos += r0 - w0;
                register.accept(new ImageRegistration(id, "bench-host", "job-" + job, Map.of(), t.plus(Duration.ofHours(i / jobs)),
                        null, (long) perImage * chunkBytes, refs.stream().mapToLong(ChunkRef::storedBytes).sum(),
                        StoreFormat.MANIFESTS + id, "sig", new ProcessSummary(1000 + job, "/usr/bin/sim", List.of("/usr/bin/sim"),
                        "x86_64", List.of("sse2"), "vdso", "6.18.0", 1, 10, 3, 1L), refs));
                registerNanos += System.nanoTime() - r0;
                if ((i + 1) % 100 == 0) {
                    System.out.printf("  %d images written (%.1f s so far) and registered (%.1f s so far), load %s%n", i + 1,
                            writeNanos / 1e9, registerNanos / 1e9, load());
                }
            }
        }
    }

    private static long packBytes(String store, S3Config.Overrides s3) throws Exception {
        try (Backend b = Backends.open(store, s3, Map.of(), null)) {
            return b.list(StoreFormat.PACKS).stream().mapToLong(o -> o.size()).sum();
        }
    }

    private static void report(String what, long t0, HeapWatch heap, Map<String, AtomicLong> requests) {
        Map<String, Long> r = new TreeMap<>();
        requests.forEach((k, v) -> r.put(k, v.get()));
        System.out.printf("%s: %.1f s, Java heap peak %s (sampled every 100 ms), S3 requests %s, load %s%n", what,
                (System.nanoTime() - t0) / 1e9, human(heap.peak()), r, load());
    }

    static String human(long b) {
        return b < 1024 ? b + " B" : String.format("%.1f MiB", b / 1048576.0);
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
        } catch (Exception e) {
            return "?";
        }
    }

    private static String peakRss() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM"))
                    .map(l -> l.replaceAll("\\s+", " ")).findFirst().orElse("?");
        } catch (Exception e) {
            return "?";
        }
    }

    /** The largest Java heap in use since the last reset, sampled. */
    private static final class HeapWatch implements AutoCloseable {
        private final AtomicLong peak = new AtomicLong();
        private final Thread thread;
        private volatile boolean running = true;

        HeapWatch() {
            thread = new Thread(() -> {
                var mem = ManagementFactory.getMemoryMXBean();
                while (running) {
                    peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-watch");
            thread.setDaemon(true);
            thread.start();
        }

        void reset() {
            System.gc();
            peak.set(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }

        long peak() {
            return peak.get();
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
        }
    }
}
