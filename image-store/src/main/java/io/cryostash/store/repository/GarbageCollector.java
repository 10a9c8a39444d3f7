// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.index.IndexFiles;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.pack.ChunkCodec;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.memory.AreaTableCodec;
import io.cryostash.store.sign.ManifestCodec;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.SignedManifest;
import io.cryostash.schema.store.StoreFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;

/**
 * Mark and sweep over a store: keep every chunk some manifest names, drop the rest.
 *
 * <ol>
 *   <li>Take the exclusive lock (no capture is running; see {@link StoreLock}).</li>
 *   <li>Mark: the union of the chunk and table lists of all manifests and of the chunks those
 *       tables name (each shared table read once) — manifests parsed, not trust-checked: an
 *       image from a host this one does not trust still keeps its chunks. A manifest that
 *       cannot be parsed, or a live chunk in no index, stops the GC; deleting on a guess is
 *       worse than keeping.</li>
 *   <li>Sweep packs: a pack with no live chunk is deleted; a pack whose dead bytes exceed
 *       {@code repackThreshold} has its live chunks (verified) copied into new packs, then is
 *       deleted; a pack no index names is deleted at once when no other lock was left (every
 *       capture that uploaded it has ended), else only when older than {@code grace} — younger
 *       ones may belong to a capture that has uploaded packs but not yet its index, and a lock
 *       whose holder cannot be judged from here may be such a capture.</li>
 *   <li>Write one new index object for the surviving packs, then delete the index objects read
 *       in step 2, then the packs. A crash between steps leaves duplicates or orphans that the
 *       next run removes, never an index naming a deleted pack that a manifest needs.</li>
 * </ol>
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

    /**
     * @param grace           age below which unindexed packs are left alone
     * @param repackThreshold fraction of dead bytes (0..1) above which a partly live pack is rewritten
     */
    public record Options(Duration grace, double repackThreshold) {
        public static Options defaults() {
            return new Options(Duration.ofHours(6), 0.5);
        }
    }

    /** What a run did. */
    public record Report(int manifests, int liveChunks, int packsKept, int packsDeleted, int packsRepacked,
                         int unindexedPacksDeleted, int unindexedPacksKept, long bytesFreed) {
    }

    private final ChunkStore chunks;
    private final Backend backend;
    private final String host;
    private final Options options;

    GarbageCollector(ChunkStore chunks, String host, Options options) {
        this.chunks = chunks;
        this.backend = chunks.backend();
        this.host = host;
        this.options = options;
    }

    Report run() throws IOException {
        try (StoreLock lock = StoreLock.acquire(backend, StoreLock.Kind.GC, host)) {
            ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
            try {
                return sweep(pool, lock);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Adds the chunks the tables name, each table read once however many images share it. A
     * table that cannot be read stops the GC: without it, which chunks are live is a guess.
     */
    private void markTableEntries(ExecutorService pool, ChunkIndex index, Map<ChunkKey, String> tables,
                                  Set<ChunkKey> live) throws IOException {
        List<Future<List<ChunkKey>>> fs = new ArrayList<>();
        for (Map.Entry<ChunkKey, String> t : tables.entrySet()) {
            ChunkIndex.Location loc = index.lookup(t.getKey()).orElseThrow(() -> new ChunkMissingException(t.getKey(),
                    t.getValue(), "chunk table not in any index; garbage collection stops rather than guess what is live"
                    + " (run `cryostash repair-index` if index objects were lost)"));
            fs.add(pool.submit(() -> AreaTableCodec.keys(t.getKey(), PackReader.readChunk(backend, loc.packId(), loc.entry()))));
        }
        for (Future<List<ChunkKey>> f : fs) {
            try {
                live.addAll(f.get());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException("reading chunk tables: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("reading chunk tables");
            }
        }
    }

    /**
     * Every chunk an image names must be in the index, in a pack that exists, before anything is
     * swept: after a lost or damaged index object its packs look unindexed, and sweeping them after
     * the grace period would delete live data; an index entry in a pack that is gone would be
     * dropped while the only copy left sits in an unindexed pack.
     */
    private static void refuseIfLiveChunksAreUnindexed(ChunkIndex index, Map<String, ObjectInfo> packObjects,
                                                       Set<ChunkKey> live) throws ChunkMissingException {
        ChunkKey first = null;
        long n = 0;
        for (ChunkKey k : live) {
            boolean stored = index.lookup(k).map(l -> packObjects.containsKey(l.packId())).orElse(false);
            if (!stored) {
                n++;
                if (first == null) {
                    first = k;
                }
            }
        }
        if (first != null) {
            throw new ChunkMissingException(first, null, "it and " + (n - 1) + " more chunks that images name are in"
                    + " no index or only in packs that are gone; garbage collection stops rather than delete packs"
                    + " that may hold them. Run `cryostash repair-index`, which rebuilds the index from the packs;"
                    + " if `cryostash verify` still names images whose chunks are gone, delete those images; then gc"
                    + " again");
        }
    }

    private Report sweep(ExecutorService pool, StoreLock lock) throws IOException {
        IndexFiles.Loaded loaded;
        try {
            loaded = IndexFiles.loadAll(backend, pool);
        } catch (io.cryostash.store.IntegrityException e) { // a partial view of what is stored must not decide deletions
            throw new io.cryostash.store.IntegrityException(e.getMessage() + "; garbage collection stops rather than"
                    + " delete on a partial index: run `cryostash repair-index` first", e);
        }
        Map<String, ObjectInfo> packObjects = new HashMap<>();
        for (ObjectInfo o : backend.list(StoreFormat.PACKS)) {
            packObjects.put(o.name().substring(StoreFormat.PACKS.length()), o);
        }
        Set<ChunkKey> live = new HashSet<>();
        Map<ChunkKey, String> tables = new HashMap<>();
        int manifests = 0;
        for (ObjectInfo o : backend.list(StoreFormat.MANIFESTS)) {
            byte[] data;
            try {
                data = backend.get(o.name());
            } catch (ObjectNotFoundException e) {
                continue; // deleted meanwhile
            }
            String id = o.name().substring(StoreFormat.MANIFESTS.length());
            SignedManifest m = ManifestCodec.parse(id, data);
            live.addAll(m.chunks());
            live.addAll(m.tables());
            m.tables().forEach(t -> tables.putIfAbsent(t, id));
            manifests++;
        }
        markTableEntries(pool, loaded.index(), tables, live);
        refuseIfLiveChunksAreUnindexed(loaded.index(), packObjects, live);

        lock.refresh(); // marking a large store takes a while; stay clearly alive

        List<PackSummary> keep = new ArrayList<>();
        List<PackSummary> repack = new ArrayList<>();
        List<String> delete = new ArrayList<>();
        Set<ChunkKey> kept = new HashSet<>();
        long freed = 0;
        List<PackSummary> packs = new ArrayList<>(loaded.index().packs());
        packs.sort((a, b) -> a.id().compareTo(b.id()));
        for (PackSummary p : packs) {
            if (!packObjects.containsKey(p.id())) {
                log.warn("index names pack {} which does not exist; dropping it from the index", p.id());
                continue;
            }
            long liveBytes = 0;
            long chunkBytes = 0;
            for (PackIndexEntry e : p.entries()) {
                chunkBytes += e.compressedLength();
                if (live.contains(e.key()) && !kept.contains(e.key())) {
                    liveBytes += e.compressedLength();
                }
            }
            if (liveBytes == 0) {
                delete.add(p.id());
                freed += p.size();
            } else if (1.0 - (double) liveBytes / chunkBytes > options.repackThreshold()) {
                // dead bytes against chunk bytes, not the pack's size: a pack whose chunks are all
                // live is never rewritten, whatever the threshold (it would come out byte for byte
                // the same pack, under the same name, and then be deleted as the old one)
                repack.add(p);
                for (PackIndexEntry e : p.entries()) {
                    if (live.contains(e.key())) {
                        kept.add(e.key());
                    }
                }
            } else {
                keep.add(p);
                for (PackIndexEntry e : p.entries()) {
                    kept.add(e.key());
                }
            }
        }
        int unindexedDeleted = 0;
        int unindexedKept = 0;
        // alone: no other lock, not even a stale one, so no capture is running anywhere and every
        // unindexed pack was left by one that ended without writing its index (a failed upload,
        // a full disk, a killed agent): nothing can still index it
        Instant cutoff = lock.alone() ? Instant.MAX : Instant.now().minus(options.grace());
        for (Map.Entry<String, ObjectInfo> e : packObjects.entrySet()) {
            if (loaded.index().hasPack(e.getKey())) {
                continue;
            }
            if (e.getValue().modified().isBefore(cutoff)) {
                delete.add(e.getKey());
                freed += e.getValue().size();
                unindexedDeleted++;
            } else {
                unindexedKept++;
            }
        }

        List<PackSummary> newPacks = Collections.synchronizedList(new ArrayList<>());
        if (!repack.isEmpty()) {
            ExecutorService uploads = Executors.newFixedThreadPool(2);
            try {
                Packer packer = new Packer(backend, new ChunkCodec(ChunkCodec.DEFAULT_LEVEL),
                        io.cryostash.store.pack.PackWriter.DEFAULT_TARGET_SIZE, 2, pool, uploads, newPacks::add,
                        lost -> { }, new StoreStats());
                Set<ChunkKey> keptWhole = new HashSet<>();
                for (PackSummary p : keep) {
                    p.entries().forEach(e -> keptWhole.add(e.key()));
                }
                Set<ChunkKey> copied = new HashSet<>();
                for (PackSummary p : repack) {
                    byte[] whole = backend.get(PackReader.objectName(p.id()));
                    for (PackIndexEntry e : p.entries()) {
                        if (live.contains(e.key()) && !keptWhole.contains(e.key()) && copied.add(e.key())) {
                            packer.add(e.key(), PackReader.readChunk(p.id(), whole, e));
                        }
                    }
                    delete.add(p.id());
                    freed += p.size();
                }
                packer.flush();
            } finally {
                uploads.shutdownNow();
            }
            for (PackSummary p : newPacks) {
                freed -= p.size();
            }
        }

        lock.refresh();
        List<PackSummary> survivors = new ArrayList<>(keep);
        survivors.addAll(newPacks);
        String written = survivors.isEmpty() ? null : IndexFiles.write(backend, survivors);
        for (String name : loaded.objectNames()) {
            // index objects are named by their content: when nothing changed, the one just written
            // has the name of one just read, and deleting that would drop the whole index
            if (!name.equals(written)) {
                backend.delete(name);
            }
        }
        Set<String> surviving = new HashSet<>();
        survivors.forEach(p -> surviving.add(p.id()));
        for (String id : delete) {
            if (!surviving.contains(id)) { // a repack that rebuilt the same pack wrote it under the same name
                backend.delete(PackReader.objectName(id));
            }
        }
        return new Report(manifests, live.size(), keep.size(), delete.size() - repack.size() - unindexedDeleted,
                repack.size(), unindexedDeleted, unindexedKept, freed);
    }
}
