// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.ManifestRejectedException;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.index.IndexFiles;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.memory.AreaTableCodec;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.ManifestCodec;
import io.cryostash.store.sign.TrustedKeys;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.SignedManifest;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The image store as the agents use it: chunks, files, signed images, deletion and garbage
 * collection over one back end.
 *
 * <p>Capture: {@link #newImage()} → put areas, files and other chunks into the
 * {@link ImageWriter} → {@link ImageWriter#commit}. Restore: {@link #readImage} (signature,
 * trust and presence of every chunk checked) → {@link ChunkStore#readChunks} /
 * {@link io.cryostash.store.memory.AreaChunker#restore} and {@link FileStore#materialize}
 * (every chunk's hash checked). There is deliberately no way to read an image without these
 * checks. One instance per store per process; thread-safe.
 */
public final class Repository implements AutoCloseable {
    private final ChunkStore chunks;
    private final FileStore files;
    private final HostKeys hostKeys;
    /** Only grows ({@link #trust}); volatile so that a key added on one thread is seen by readers on others. */
    private volatile TrustedKeys trusted;
    private final String hostName;
    private final Set<ImageWriter> writers = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<UploadLimit> uploadLimit = new ThreadLocal<>();
    private final ScheduledExecutorService refresher;

    private Repository(ChunkStore chunks, HostKeys hostKeys, TrustedKeys trusted, String hostName, Path cacheDir) {
        this.chunks = chunks;
        this.hostKeys = hostKeys;
        this.trusted = trusted;
        this.hostName = hostName;
        this.files = new FileStore(chunks, cacheDir);
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cryostash-lock-refresh");
            t.setDaemon(true);
            return t;
        });
        long every = StoreLock.REFRESH.toSeconds();
        refresher.scheduleAtFixedRate(this::refreshLocks, every, every, TimeUnit.SECONDS);
    }

    /**
     * Opens a store.
     *
     * @param hostKeys this host's signing keys ({@link HostKeys#loadOrCreate})
     * @param trusted  keys whose images this host accepts (always include its own)
     * @param hostName recorded in every manifest this host writes
     * @param cacheDir local content-addressed cache of files for restore; may be null
     */
    public static Repository open(Backend backend, HostKeys hostKeys, TrustedKeys trusted, String hostName,
                                  Path cacheDir, ChunkStore.Options options) throws IOException {
        return new Repository(ChunkStore.open(backend, options), hostKeys, trusted, hostName, cacheDir);
    }

    /**
     * Opens the store {@code settings} describe: the back end (with retries), this host's key
     * pair (created on first use) and the trusted keys.
     */
    public static Repository open(StoreSettings settings) throws IOException {
        HostKeys keys = HostKeys.loadOrCreate(settings.keyDir());
        TrustedKeys trusted = TrustedKeys.load(keys, settings.trustedKeysDir());
        Backend backend = io.cryostash.store.backend.Backends.open(settings.store(), settings.s3(), settings.env(),
                settings.configFile());
        try {
            return open(backend, keys, trusted, settings.hostName(), settings.cacheDir(), settings.options());
        } catch (IOException | RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /**
     * A summary of an image for listings.
     *
     * @param rejection why the manifest does not verify (untrusted signer, bad signature, content
     *                  not matching its id), or null when it does
     */
    public record ImageInfo(String id, Instant created, String host, int chunkCount, long manifestSize,
                            String signerKeyId, String rejection) {
        public boolean trusted() {
            return rejection == null;
        }
    }

    /**
     * A verified image: its id, envelope (the process-image manifest is {@code manifest().payload()})
     * and the bytes of the chunk tables it lists, each checked against its key.
     */
    public record Image(String id, SignedManifest manifest, Map<ChunkKey, byte[]> tables) {
        public Image {
            tables = Map.copyOf(tables);
        }

        public byte[] payload() {
            return manifest.payload();
        }
    }

    /**
     * At most {@code bytes} of new chunks (uncompressed) for the images this thread starts while the
     * scope is open; {@code what} names the quota in the refusal ("the quota of job sim on host-1:
     * 9.5 GiB left").
     */
    public record UploadLimit(long bytes, String what) {
    }

    /**
     * Limits the images this thread starts until the returned scope is closed (a capture asks the
     * catalog what its quota leaves, then captures inside the scope).
     */
    public AutoCloseable limitUploads(UploadLimit limit) {
        uploadLimit.set(limit);
        return uploadLimit::remove;
    }

    /**
     * Starts writing an image: writes its lease (a capture lock; garbage collection may run
     * meanwhile, it only fails with {@link StoreLockedException} while {@code repair-index} runs),
     * takes the packs of condemnation records out of this process's index, picks up chunks other
     * hosts stored since the index was loaded, and lists those records in the lease. The order
     * matters: lease first, so that a GC that does not see the lease wrote its records before the
     * capture looked ({@link Condemnations}); records before index objects (below).
     */
    public ImageWriter newImage() throws IOException {
        StoreLock lock = StoreLock.acquire(chunks.backend(), StoreLock.Kind.CAPTURE, hostName);
        synchronized (writers) {
            Set<String> acks;
            try {
                // The records before the index objects: a GC run deletes a settled record only after
                // replacing the index objects that named its packs, so a record gone by the time it is
                // listed means those objects are gone from the index listing after it (which then
                // reloads). In the other order a record settled at once (no lease to wait for) between
                // the two listings went unseen while this process's index still named the packs it
                // deleted, and the capture deduplicated against them (RepositoryContractTest
                // aCaptureStartingWhileGcSettlesARecordDoesNotCountOnThePacksThatRunDeletes). A record
                // written after the first listing cannot be settled while this capture's lease lives.
                // The index objects are listed even while another capture of this process runs: that
                // capture's lease keeps newer records from settling only while GC counts it, and one
                // it no longer counts (unrefreshed for StoreLock.STALE) let a run settle a record at
                // once and delete a pack this index still named (RepositoryContractTest
                // aCaptureBesideOneWhoseLeaseGcNoLongerCountsDoesNotCountOnThePacksThatRunDeleted).
                chunks.refreshCondemned();
                chunks.refreshIndex();
                acks = chunks.seenRecordIds();
                if (!acks.isEmpty()) {
                    lock.acknowledge(acks);
                }
            } catch (IOException | RuntimeException e) {
                lock.close();
                throw e;
            }
            ImageWriter w = new ImageWriter(this, lock, acks, uploadLimit.get());
            writers.add(w);
            return w;
        }
    }

    void writerClosed(ImageWriter w) {
        synchronized (writers) {
            writers.remove(w);
        }
    }

    /**
     * An image abandoned before its commit (the capture failed): when it was the only one being
     * written, the packs uploaded for it and never indexed are deleted now, while its lease still
     * makes garbage collection give unindexed packs their grace period, instead of filling the
     * store until that period ends — after a full disk or a quota refusal, that is what lets the
     * next capture succeed. With other images in progress they stay (one of those may have skipped
     * a chunk they hold) and are indexed by the next flush. See {@link ChunkStore#discardUnindexed}
     * for why no other process can be counting on them.
     */
    void writerAbandoned(ImageWriter w) {
        synchronized (writers) {
            writers.remove(w);
            if (writers.isEmpty()) {
                try {
                    chunks.discardUnindexed();
                } catch (IOException | RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(Repository.class).warn("abandoned packs left to gc: {}", e.toString());
                }
            }
        }
    }

    private void refreshLocks() {
        for (ImageWriter w : writers) {
            try {
                w.lock().refresh();
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(Repository.class).warn("refreshing {}: {}", w.lock().name(), e.toString());
            }
        }
    }

    /**
     * Reads and verifies an image: its id matches its content, it is signed by a trusted key,
     * its format is known, its chunk tables are intact, and every chunk it names — directly or
     * through a table — is in the index.
     */
    public Image readImage(String id) throws IOException {
        if (!id.matches("[0-9a-f]{64}")) {
            throw new ManifestRejectedException(id, "not an image id");
        }
        byte[] data;
        try {
            data = chunks.backend().get(StoreFormat.MANIFESTS + id);
        } catch (ObjectNotFoundException e) {
            throw new ObjectNotFoundException(chunks.backend().location(), "image " + id);
        }
        SignedManifest m = ManifestCodec.verify(id, data, trusted);
        boolean refreshed = false;
        if (!chunks.unreadable(m.chunks()).isEmpty() || !chunks.unreadable(m.tables()).isEmpty()) {
            // another host stored them since the index was loaded (a restore of an image captured
            // elsewhere): refreshed once, then and only then, also while this process writes an
            // image (safe: see ChunkStore.refreshIndex)
            chunks.refreshIndex();
            refreshed = true;
        }
        for (ChunkKey k : chunks.unreadable(m.chunks())) {
            throw new ChunkMissingException(k, id, "not in any index");
        }
        for (ChunkKey k : chunks.unreadable(m.tables())) {
            throw new ChunkMissingException(k, id, "chunk table not in any index");
        }
        Map<ChunkKey, byte[]> tables = new ConcurrentHashMap<>();
        chunks.readChunks(m.tables(), (k, bytes) -> tables.put(k, bytes.clone()));
        for (ChunkKey t : m.tables()) {
            List<ChunkKey> named = AreaTableCodec.keys(t, tables.get(t));
            if (!refreshed && !chunks.unreadable(named).isEmpty()) {
                chunks.refreshIndex();
                refreshed = true;
            }
            for (ChunkKey k : chunks.unreadable(named)) {
                throw new ChunkMissingException(k, id, "named by chunk table " + t.hex() + " but not in any index");
            }
        }
        return new Image(id, m, tables);
    }

    /** Every image, oldest first. Images that cannot be parsed are skipped (the checker reports them). */
    public List<ImageInfo> listImages() throws IOException {
        List<ImageInfo> out = new ArrayList<>();
        for (ObjectInfo o : chunks.backend().list(StoreFormat.MANIFESTS)) {
            String id = o.name().substring(StoreFormat.MANIFESTS.length());
            byte[] data;
            try {
                data = chunks.backend().get(o.name());
            } catch (ObjectNotFoundException e) {
                continue;
            }
            SignedManifest m;
            String rejection = null;
            try {
                m = ManifestCodec.verify(id, data, trusted);
            } catch (ManifestRejectedException e) {
                rejection = e.reason();
                try {
                    m = ManifestCodec.parse(id, data);
                } catch (ManifestRejectedException e2) {
                    continue;
                }
            }
            out.add(new ImageInfo(id, m.created(), m.host(), m.chunks().size() + m.tables().size(), data.length,
                    ManifestCodec.signerKeyId(m), rejection));
        }
        out.sort(java.util.Comparator.comparing(ImageInfo::created));
        return out;
    }

    /** Deletes an image's manifest; its chunks go at the next {@link #collectGarbage}. */
    public void deleteImage(String id) throws IOException {
        if (!id.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("not an image id: " + id);
        }
        if (!chunks.backend().exists(StoreFormat.MANIFESTS + id)) {
            throw new ObjectNotFoundException(chunks.backend().location(), "image " + id);
        }
        chunks.backend().delete(StoreFormat.MANIFESTS + id);
    }

    /** Garbage collection beside captures; see {@link GarbageCollector}. */
    public GarbageCollector.Report collectGarbage(GarbageCollector.Options options) throws IOException {
        GarbageCollector.Report r = new GarbageCollector(chunks.backend(), hostName, options).run();
        chunks.refreshIndex();
        return r;
    }

    /**
     * As {@link #collectGarbage(GarbageCollector.Options)}, on a bare back end: for a caller that
     * collects but does not capture or restore, and so need not hold the store's index in memory
     * between runs (the catalog).
     */
    public static GarbageCollector.Report collectGarbage(Backend backend, String hostName, GarbageCollector.Options options)
            throws IOException {
        return new GarbageCollector(backend, hostName, options).run();
    }

    /**
     * What {@link #repairIndex} did.
     *
     * @param keptFromOldIndex packs whose own index could not be read but an intact old index
     *                         object still described: their entries were carried over
     * @param unreadablePacks  packs described nowhere readable: their chunks are missing now
     */
    /** @param droppedRecords damaged condemnation records deleted (their packs were indexed again) */
    public record IndexRepair(int packs, long chunks, List<String> keptFromOldIndex, List<String> unreadablePacks,
                              int replacedIndexObjects, List<String> droppedRecords) {
        public IndexRepair {
            droppedRecords = List.copyOf(droppedRecords);
        }
    }

    /**
     * Rebuilds the index from the packs' own trailing indexes ({@code cryostash repair-index}),
     * for a store whose index objects were lost or damaged: writes one index object naming
     * every readable pack, then deletes the index objects it replaces. A pack whose own index
     * cannot be read keeps the entries an intact old index object has for it, so a repair never
     * loses what the old index still knew. Takes the exclusive lock, like garbage collection, so
     * no capture is adding packs meanwhile. Static, on a bare back end: a store whose index does
     * not load cannot be opened as a repository.
     */
    public static IndexRepair repairIndex(Backend backend, String hostName) throws IOException {
        try (StoreLock lock = StoreLock.acquire(backend, StoreLock.Kind.REPAIR, hostName)) {
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()));
            try {
                // packs a GC condemned stay out: the run that settles their record decides about them
                Set<String> condemned = new java.util.HashSet<>();
                Condemnations.Listing records = Condemnations.listReadable(backend);
                for (Condemnations.Record r : records.records()) {
                    r.packs().forEach(p -> condemned.add(p.id()));
                }
                List<ObjectInfo> old = backend.list(StoreFormat.INDEX);
                Map<String, PackSummary> known = new java.util.HashMap<>(); // what the old index objects still say
                for (ObjectInfo o : old) {
                    try {
                        IndexFiles.decode(o.name(), backend.get(o.name())).forEach(p -> known.putIfAbsent(p.id(), p));
                    } catch (io.cryostash.store.IntegrityException | ObjectNotFoundException damagedOrGone) {
                        // what it held is rebuilt from the packs below
                    }
                }
                List<String> unreadable = new ArrayList<>();
                ChunkIndex rebuilt = IndexFiles.rebuild(backend, pool, unreadable);
                rebuilt.removePacks(condemned);
                unreadable.removeAll(condemned);
                List<PackSummary> packs = new ArrayList<>(rebuilt.packs());
                List<String> kept = new ArrayList<>();
                List<String> lost = new ArrayList<>();
                long chunkCount = rebuilt.size();
                for (String id : unreadable) {
                    PackSummary p = known.get(id);
                    if (p != null) {
                        packs.add(p);
                        kept.add(id);
                        chunkCount += p.entries().size();
                    } else {
                        lost.add(id);
                    }
                }
                String written = packs.isEmpty() ? null : IndexFiles.write(backend, packs);
                int replaced = 0;
                for (ObjectInfo o : old) {
                    if (!o.name().equals(written)) {
                        backend.delete(o.name());
                        replaced++;
                    }
                }
                // A damaged record's packs are unknown: they go into the rebuilt index like any
                // other pack (the GC that condemned them left them indexed until settlement, and no
                // capture runs beside this lock), and the next GC judges them afresh.
                for (String damaged : records.damaged()) {
                    backend.delete(damaged);
                }
                return new IndexRepair(packs.size(), chunkCount, List.copyOf(kept), List.copyOf(lost), replaced,
                        records.damaged());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Verifies one image ({@code cryostash verify <image-id>}): manifest, signature, every chunk
     * present, each of its packs against its own index, and every chunk re-hashed.
     */
    public io.cryostash.store.check.Checker.Report verify(String imageId) throws IOException {
        return new io.cryostash.store.check.Checker(chunks.backend(), trusted).checkImage(imageId);
    }

    public ChunkStore chunks() {
        return chunks;
    }

    public FileStore files() {
        return files;
    }

    /**
     * Trusts more signing keys from now on, e.g. the key a catalog vouches for as the enrolled key
     * of the host that captured an image an agent is asked to restore.
     */
    public synchronized void trust(java.security.PublicKey... keys) {
        trusted = trusted.with(keys);
    }

    public TrustedKeys trustedKeys() {
        return trusted;
    }

    HostKeys hostKeys() {
        return hostKeys;
    }

    String hostName() {
        return hostName;
    }

    /** Closes the chunk store (without flushing: commit images first) and the back end. */
    @Override
    public void close() throws IOException {
        refresher.shutdownNow();
        for (ImageWriter w : List.copyOf(writers)) {
            w.close();
        }
        chunks.close();
        chunks.backend().close();
    }
}
