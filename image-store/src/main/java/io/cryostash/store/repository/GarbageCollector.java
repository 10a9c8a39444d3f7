// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.IntegrityException;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.index.IndexFiles;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.pack.ChunkCodec;
import io.cryostash.store.pack.PackReader;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.StoreFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Garbage collection that runs beside captures on any number of hosts: two steps, like
 * Duplicacy's fossil collection, with per-capture leases instead of "every host has backed up
 * since" (see {@link Condemnations} and {@link StoreLock}).
 *
 * <ol>
 *   <li>List the capture leases and the condemnation records. A record is <em>settleable</em>
 *       when every live lease lists it: no running capture can count on its packs. A lease is
 *       live unless it is stale (its capture will not commit: {@link StoreLock#COMMIT_WITHIN}) or
 *       its holder provably died on this host (the lease is then deleted at once).</li>
 *   <li>Load the index, list the packs, mark every chunk some manifest names ({@link LiveChunks};
 *       it stops when a live chunk is in no index and no condemned pack).</li>
 *   <li>Decide. Packs of unsettled records are left as they are. Indexed packs: no live chunk →
 *       condemn; dead bytes above {@code repackThreshold} → copy their live chunks (verified)
 *       into new packs and condemn them; else keep. Unindexed packs older than {@code grace} →
 *       condemn (younger ones may belong to a capture that has not written its index yet), or at
 *       once when there is no capture lease at all (stale ones count; leases whose holder provably
 *       died on this host are deleted: see {@link StoreLock}).
 *       Packs of settleable records: resurrect (keep, indexed) those holding a live chunk no kept
 *       pack holds, delete the rest.</li>
 *   <li>Write a record of what it condemned. From then on a capture that lists the records (every
 *       capture does, after writing its lease) does not count on the condemned packs. They stay in
 *       the index until settled: a capture that started earlier may still commit an image naming
 *       their chunks, and that image must restore at once on any host.</li>
 *   <li>List the leases again; when every lease lists the new record (there is no capture at
 *       all, usually), settle it at once. Before settling anything, mark the manifests written
 *       since step 2 and resurrect what they need, and keep any pack that an index object written
 *       since step 2 names.</li>
 *   <li>Write one index object for the kept, condemned-unsettled and resurrected packs, delete the
 *       index objects it loaded, then delete the settled packs and records: no index object ever
 *       names a pack that is gone. (A reader whose index is older finds a pack gone, reloads the
 *       index and reads again: {@link ChunkStore#readChunks}.)</li>
 * </ol>
 *
 * A crash at any point leaves at worst duplicate index entries, unindexed packs or a record
 * naming packs already gone, which the next run cleans; never an index naming a deleted pack
 * that a manifest still needs. {@code dryRun} stops after step 3 and writes nothing.
 */
public final class GarbageCollector {
    private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);

    /**
     * @param grace           age below which unindexed packs are left alone
     * @param repackThreshold fraction of dead bytes (0..1) above which a partly live pack is rewritten
     * @param dryRun          decide and report, write and delete nothing
     */
    public record Options(Duration grace, double repackThreshold, boolean dryRun, Set<String> deletedImages) {
        public Options {
            deletedImages = deletedImages == null ? Set.of() : Set.copyOf(deletedImages);
        }

        public Options(Duration grace, double repackThreshold, boolean dryRun) {
            this(grace, repackThreshold, dryRun, Set.of());
        }

        public Options(Duration grace, double repackThreshold) {
            this(grace, repackThreshold, false);
        }

        public static Options defaults() {
            return new Options(Duration.ofHours(6), 0.5);
        }

        public Options asDryRun() {
            return new Options(grace, repackThreshold, true, deletedImages);
        }

        /**
         * A dry run that counts these images' manifests as deleted already (the catalog's dry run:
         * the images it expired whose manifests its real run would delete first).
         */
        public Options assuming(Set<String> imageIds) {
            return new Options(grace, repackThreshold, dryRun, imageIds);
        }
    }

    /**
     * What a run did (or, dry, would do).
     *
     * @param packsCondemned       packs taken out of the index this run (dead, repacked or unindexed)
     * @param packsDeleted         pack objects deleted this run (condemned now or by an earlier run)
     * @param packsResurrected     condemned packs put back because an image written meanwhile needs them
     * @param recordsPending       condemnation records a running capture has not seen yet (settled later)
     * @param bytesFreed           bytes of the pack objects deleted, less the new packs written by repacking
     * @param bytesCondemned       bytes of the packs condemned and not yet deleted
     * @param removedFromIndex     packs the index no longer names
     * @param deletedPacks         pack objects deleted
     * @param addedToIndex         packs the index names that it did not before (repacked and resurrected)
     * @param relocated            chunks of the packs removed from the index that another indexed pack
     *                             holds, with where (a catalog of chunk locations moves them there)
     */
    public record Report(boolean dryRun, int manifests, int liveChunks, int packsKept, int packsCondemned,
                         int packsRepacked, int unindexedPacksCondemned, int unindexedPacksKept, int packsDeleted,
                         int packsResurrected, int recordsSettled, int recordsPending, long bytesFreed,
                         long bytesCondemned, List<String> removedFromIndex, List<String> deletedPacks,
                         List<PackSummary> addedToIndex, Map<ChunkKey, ChunkIndex.Location> relocated) {
    }

    private final Backend backend;
    private final String host;
    private final Options options;

    GarbageCollector(Backend backend, String host, Options options) {
        this.backend = backend;
        this.host = host;
        this.options = options;
    }

    Report run() throws IOException {
        try (StoreLock lock = StoreLock.acquire(backend, StoreLock.Kind.GC, host)) {
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()));
            try {
                return collect(pool, lock);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** The decisions of step 3. */
    private static final class Plan {
        final Map<String, PackSummary> keep = new LinkedHashMap<>();
        final List<PackSummary> condemn = new ArrayList<>();
        final List<PackSummary> repack = new ArrayList<>();
        final Map<String, Long> delete = new LinkedHashMap<>(); // pack id -> size, of settled records
        final List<PackSummary> resurrected = new ArrayList<>();
        final Set<ChunkKey> kept = new HashSet<>(); // live chunks a kept pack holds
        int unindexedCondemned;
        int unindexedKept;
    }

    private Report collect(ExecutorService pool, StoreLock lock) throws IOException {
        List<StoreLock.Lease> leases = StoreLock.captureLeases(backend, host);
        List<Condemnations.Record> records = Condemnations.list(backend);
        ChunkIndex frozen = new ChunkIndex(); // packs of every record, wherever they are
        records.forEach(r -> r.packs().forEach(frozen::addPack));
        List<Condemnations.Record> settleable = records.stream().filter(r -> ackedByAll(r.id(), leases)).toList();

        // Manifests before the index: a capture writes its index object before its manifest, so
        // every chunk of a manifest listed now is in an index object listed after (the other order
        // would take the chunks of an image committed in between for chunks in no index).
        Map<String, ObjectInfo> packObjects = new HashMap<>();
        ChunkIndex[] indexRef = new ChunkIndex[1];
        ChunkIndex since = new ChunkIndex(); // packs of index objects written after the load (second look)
        Set<String> packsSince = new HashSet<>(); // pack objects listed for the second look: for reading only
        if (!options.dryRun() && !options.deletedImages().isEmpty()) {
            throw new IllegalArgumentException("only a dry run may assume images deleted");
        }
        LiveChunks live = new LiveChunks(backend, pool, k -> locate(k, indexRef[0], frozen, packObjects)
                .or(() -> since.lookup(k).filter(x -> packsSince.contains(x.packId()))), options.deletedImages());
        live.listManifests();
        IndexFiles.Loaded loaded;
        try {
            // not loadOrFallBack: a partial view of what is stored must not decide deletions
            loaded = IndexFiles.loadAll(backend, pool);
        } catch (io.cryostash.store.IntegrityException e) {
            throw new io.cryostash.store.IntegrityException(e.getMessage() + "; garbage collection stops rather than"
                    + " delete on a partial index: run `cryostash repair-index` first", e);
        }
        ChunkIndex index = loaded.index();
        indexRef[0] = index;
        for (ObjectInfo o : backend.list(StoreFormat.PACKS)) {
            packObjects.put(o.name().substring(StoreFormat.PACKS.length()), o);
        }
        live.markListed();
        refuseIfLiveChunksAreUnstored(live, index, frozen, packObjects);
        lock.refresh(); // marking a large store takes a while; stay clearly alive

        Plan plan = decide(index, frozen, settleable, packObjects, live, leases.isEmpty());
        if (options.dryRun()) {
            // a record written now would be settled at once when no lease that may commit is left
            return dryReport(plan, live, leases.stream().allMatch(StoreLock.Lease::stale), records.size(),
                    settleable.size());
        }

        List<PackSummary> newPacks = repack(pool, plan, live);
        for (PackSummary p : newPacks) {
            plan.keep.put(p.id(), p);
        }
        Condemnations.Record record = plan.condemn.isEmpty() ? null : Condemnations.write(backend, plan.condemn);
        lock.refresh();
        // Condemned packs the index named stay in it until their record is settled: a capture that
        // has not seen the record yet may commit an image naming their chunks meanwhile, and that
        // image must restore at once on any host. Captures that have seen it do not count on them.
        Map<String, PackSummary> indexed = new LinkedHashMap<>(plan.keep);
        for (PackSummary p : plan.condemn) {
            if (index.hasPack(p.id())) {
                indexed.put(p.id(), p);
            }
        }
        List<Condemnations.Record> settled = new ArrayList<>(settleable);
        if (record != null && ackedByAll(record.id(), StoreLock.captureLeases(backend, host))) {
            settled.add(record);
            for (PackSummary p : record.packs()) {
                plan.delete.put(p.id(), p.size());
            }
        }
        if (!plan.delete.isEmpty()) {
            // A second look: images committed since the mark by captures that finished before the
            // leases were listed again may name chunks of the packs about to go; and a pack that an
            // index object written since the index was loaded names (a capture that flushed it, then
            // failed) stays until a run that loads that object takes it out of the index first.
            // Same order as the first mark: manifests listed before the index objects, so that the
            // chunk tables of an image committed meanwhile are found in the index object its capture
            // wrote before its manifest (they are in no index this run loaded).
            live.listManifests();
            Set<String> loadedNames = new HashSet<>(loaded.objectNames());
            for (ObjectInfo o : backend.list(StoreFormat.INDEX)) {
                if (!loadedNames.contains(o.name())) {
                    try {
                        for (PackSummary p : IndexFiles.decode(o.name(), backend.get(o.name()))) {
                            plan.delete.remove(p.id());
                            since.addPack(p);
                        }
                    } catch (io.cryostash.store.backend.ObjectNotFoundException gone) {
                        // replaced meanwhile: only GC replaces index objects, and this one holds the lock
                    }
                }
            }
            // not into packObjects: only packs of the first listing may be deleted (a pack uploaded
            // since, under the name of one condemned, belongs to a capture that has not indexed it yet)
            for (ObjectInfo o : backend.list(StoreFormat.PACKS)) {
                packsSince.add(o.name().substring(StoreFormat.PACKS.length()));
            }
            live.markListed();
            for (String id : List.copyOf(plan.delete.keySet())) {
                PackSummary p = frozen.pack(id).or(() -> Optional.ofNullable(record).flatMap(r -> r.packs().stream()
                        .filter(x -> x.id().equals(id)).findFirst())).orElseThrow();
                if (holdsUncovered(p, live, plan.kept)) {
                    plan.delete.remove(id);
                    indexed.put(id, p);
                    plan.resurrected.add(p);
                    p.entries().stream().filter(e -> live.contains(e.key())).forEach(e -> plan.kept.add(e.key()));
                }
            }
        }
        plan.delete.keySet().forEach(indexed::remove);
        // The index first, then the packs: no index object ever names a pack that is gone.
        String written = indexed.isEmpty() ? null : IndexFiles.write(backend, List.copyOf(indexed.values()));
        for (String name : loaded.objectNames()) {
            // index objects are named by their content: when nothing changed, the one just written
            // has the name of one just read, and deleting that would drop the whole index
            if (!name.equals(written)) {
                backend.delete(name);
            }
        }
        long freed = -newPacks.stream().mapToLong(PackSummary::size).sum();
        List<String> deleted = new ArrayList<>();
        for (Map.Entry<String, Long> d : plan.delete.entrySet()) {
            if (packObjects.containsKey(d.getKey()) && !indexed.containsKey(d.getKey())) {
                // a repack that rebuilt a pack byte for byte wrote it under the same name: keep that one
                backend.delete(PackReader.objectName(d.getKey()));
                deleted.add(d.getKey());
                freed += packObjects.get(d.getKey()).size();
            }
        }
        for (Condemnations.Record r : settled) {
            Condemnations.delete(backend, r);
        }
        Set<String> settledIds = new HashSet<>();
        settled.forEach(r -> settledIds.add(r.id()));
        long pending = 0;
        for (Condemnations.Record r : records) {
            if (!settledIds.contains(r.id())) {
                pending += r.packs().stream().filter(p -> packObjects.containsKey(p.id())).mapToLong(PackSummary::size).sum();
            }
        }
        if (record != null && !settledIds.contains(record.id())) {
            pending += record.packs().stream().mapToLong(PackSummary::size).sum();
        }
        List<String> removed = new ArrayList<>();
        for (PackSummary p : index.packs()) {
            if (!indexed.containsKey(p.id())) {
                removed.add(p.id());
            }
        }
        List<PackSummary> added = new ArrayList<>(newPacks);
        plan.resurrected.stream().filter(p -> !index.hasPack(p.id())).forEach(added::add);
        Set<ChunkKey> orphaned = new HashSet<>();
        for (String id : removed) {
            index.pack(id).ifPresent(p -> p.entries().forEach(e -> orphaned.add(e.key())));
        }
        Map<ChunkKey, ChunkIndex.Location> relocated = new HashMap<>();
        if (!orphaned.isEmpty()) {
            for (PackSummary p : indexed.values()) {
                for (PackIndexEntry e : p.entries()) {
                    if (orphaned.contains(e.key())) {
                        relocated.putIfAbsent(e.key(), new ChunkIndex.Location(p.id(), e));
                    }
                }
            }
        }
        return new Report(false, live.manifestCount(), live.keys().size(), indexed.size(), plan.condemn.size(),
                plan.repack.size(), plan.unindexedCondemned, plan.unindexedKept, deleted.size(), plan.resurrected.size(),
                settled.size(), records.size() + (record == null ? 0 : 1) - settled.size(), freed, pending,
                removed, deleted, added, relocated);
    }

    /**
     * What a run would do now: the packs of settleable records it would delete, and, when no
     * capture runs (so that the new record would be settled at once), the packs it would condemn,
     * less the packs repacking would write ({@link #repackedBytes}).
     */
    private Report dryReport(Plan plan, LiveChunks live, boolean noCaptures, int records, int settleable)
            throws IOException {
        long condemned = plan.condemn.stream().mapToLong(PackSummary::size).sum();
        long copied = repackedBytes(plan, live);
        List<String> deleted = new ArrayList<>(plan.delete.keySet());
        long freed = plan.delete.values().stream().mapToLong(Long::longValue).sum();
        if (noCaptures) {
            plan.condemn.forEach(p -> deleted.add(p.id()));
            freed += condemned - copied;
        }
        return new Report(true, live.manifestCount(), live.keys().size(), plan.keep.size(), plan.condemn.size(),
                plan.repack.size(), plan.unindexedCondemned, plan.unindexedKept, deleted.size(), plan.resurrected.size(),
                settleable, records - settleable, freed, noCaptures ? 0 : condemned,
                plan.condemn.stream().map(PackSummary::id).toList(), deleted, List.copyOf(plan.resurrected), Map.of());
    }

    /**
     * The size of the packs {@link #repack} would write, as it writes them: each live chunk once,
     * salted (a {@link ChunkCodec#SALT_FRAME} before its frame) with an index entry, into packs sealed
     * at {@link io.cryostash.store.pack.PackWriter#DEFAULT_TARGET_SIZE}, each with a trailer. Exact
     * for chunks stored at the codec's default level, as captures store them: unsalted, but for the
     * first of every pack, whose first 4 bytes are read to tell (one small ranged read per pack to
     * repack whose first chunk is copied). A chunk an earlier repack or a re-store salted elsewhere
     * in a pack is counted {@code SALT_FRAME} bytes too large.
     */
    private long repackedBytes(Plan plan, LiveChunks live) throws IOException {
        long total = 0;
        long open = 0; // bytes of the pack being filled, its entries and trailer included
        Set<ChunkKey> copied = new HashSet<>();
        for (PackSummary p : plan.repack) {
            for (PackIndexEntry e : p.entries()) {
                if (live.contains(e.key()) && !plan.kept.contains(e.key()) && copied.add(e.key())) {
                    if (open == 0) {
                        open = io.cryostash.store.pack.PackFormat.TRAILER_SIZE;
                    }
                    int stored = e.compressedLength() - (e.offset() == 0 && saltedAtStart(p.id()) ? ChunkCodec.SALT_FRAME : 0);
                    open += ChunkCodec.SALT_FRAME + stored + io.cryostash.store.pack.PackFormat.ENTRY_SIZE;
                    if (open >= io.cryostash.store.pack.PackWriter.DEFAULT_TARGET_SIZE) {
                        total += open;
                        open = 0;
                    }
                }
            }
        }
        return total + open;
    }

    /** Whether the pack's first chunk carries the salt frame every pack now begins with (older packs do not). */
    private boolean saltedAtStart(String packId) throws IOException {
        byte[] head;
        try {
            head = backend.getRange(PackReader.objectName(packId), 0, 4);
        } catch (io.cryostash.store.backend.ObjectNotFoundException gone) {
            return false;
        }
        return head.length == 4 && java.nio.ByteBuffer.wrap(head).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt()
                == ChunkCodec.SKIPPABLE_MAGIC;
    }

    /**
     * Whether no capture that may still commit can count on the record's packs: every lease not
     * stale lists it. A stale lease's capture does not commit ({@link StoreLock#COMMIT_WITHIN}).
     */
    private static boolean ackedByAll(String recordId, List<StoreLock.Lease> leases) {
        return leases.stream().allMatch(l -> l.stale() || l.acks().contains(recordId));
    }

    private static Optional<ChunkIndex.Location> locate(ChunkKey k, ChunkIndex index, ChunkIndex frozen,
                                                        Map<String, ObjectInfo> packObjects) {
        Optional<ChunkIndex.Location> l = index.lookup(k).filter(x -> packObjects.containsKey(x.packId()));
        return l.isPresent() ? l : frozen.lookup(k).filter(x -> packObjects.containsKey(x.packId()));
    }

    /**
     * Every chunk an image names must be in an existing pack that the index (or a condemnation
     * record) describes before anything is decided: after a lost or damaged index object its packs
     * look unindexed, and condemning them after the grace period would delete live data.
     */
    private static void refuseIfLiveChunksAreUnstored(LiveChunks live, ChunkIndex index, ChunkIndex frozen,
                                                      Map<String, ObjectInfo> packObjects) throws ChunkMissingException {
        ChunkKey first = null;
        long n = 0;
        for (ChunkKey k : live.keys()) {
            if (locate(k, index, frozen, packObjects).isEmpty()) {
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

    private Plan decide(ChunkIndex index, ChunkIndex frozen, List<Condemnations.Record> settleable,
                        Map<String, ObjectInfo> packObjects, LiveChunks live, boolean noCaptures) throws IOException {
        Plan plan = new Plan();
        Set<String> settling = new HashSet<>();
        settleable.forEach(r -> r.packs().forEach(p -> settling.add(p.id())));
        List<PackSummary> packs = new ArrayList<>(index.packs());
        packs.sort(Comparator.comparing(PackSummary::id));
        for (PackSummary p : packs) {
            if (!packObjects.containsKey(p.id())) {
                log.warn("index names pack {} which does not exist; dropping it from the index", p.id());
                continue;
            }
            if (frozen.hasPack(p.id())) {
                // condemned, yet indexed: a capture put it back, or a run stopped before rewriting
                // the index. Left as it is until its record is settled.
                if (!settling.contains(p.id())) {
                    keep(plan, p, live);
                }
                continue;
            }
            long liveBytes = 0;
            long chunkBytes = 0;
            for (PackIndexEntry e : p.entries()) {
                chunkBytes += e.compressedLength();
                if (live.contains(e.key()) && !plan.kept.contains(e.key())) {
                    liveBytes += e.compressedLength();
                }
            }
            if (liveBytes == 0) {
                plan.condemn.add(p);
            } else if (1.0 - (double) liveBytes / chunkBytes > options.repackThreshold()) {
                // dead bytes against chunk bytes, not the pack's size: a pack whose chunks are all
                // live is never rewritten, whatever the threshold
                plan.repack.add(p);
                plan.condemn.add(p);
            } else {
                keep(plan, p, live);
            }
        }
        // Settled records: a pack goes back only for a live chunk that no kept pack holds.
        for (Condemnations.Record r : settleable) {
            for (PackSummary p : r.packs()) {
                if (!packObjects.containsKey(p.id())) {
                    continue; // deleted by an earlier run that stopped before deleting the record
                }
                if (holdsUncovered(p, live, plan.kept)) {
                    keep(plan, p, live);
                    plan.resurrected.add(p);
                } else {
                    plan.delete.put(p.id(), p.size());
                }
            }
        }
        // With no capture lease at all, no unindexed pack belongs to a capture in progress: it was left
        // by one that failed or died, and no capture can count on it (no index object names it). This
        // needs no lease at all, not merely no live one: a capture whose lease went stale (a stopped
        // or very slow process elsewhere) will not commit, but may still wake up, upload and write an
        // index object naming its packs, which must then exist; for those only the grace period
        // protects. Leases of holders that provably died here were deleted by captureLeases, so a
        // killed checkpoint's packs go at once. (A capture that starts now writes its lease first,
        // will not have seen the record, and so keeps it from being settled in this run.)
        Instant cutoff = noCaptures ? Instant.MAX : Instant.now().minus(options.grace());
        List<Map.Entry<String, ObjectInfo>> unindexed = new ArrayList<>(packObjects.entrySet());
        unindexed.sort(Map.Entry.comparingByKey());
        for (Map.Entry<String, ObjectInfo> e : unindexed) {
            if (index.hasPack(e.getKey()) || frozen.hasPack(e.getKey())) {
                continue;
            }
            if (e.getValue().modified().isBefore(cutoff)) {
                plan.condemn.add(unindexedSummary(e.getKey(), e.getValue().size()));
                plan.unindexedCondemned++;
            } else {
                plan.unindexedKept++;
            }
        }
        return plan;
    }

    private static void keep(Plan plan, PackSummary p, LiveChunks live) {
        plan.keep.put(p.id(), p);
        for (PackIndexEntry e : p.entries()) {
            if (live.contains(e.key())) {
                plan.kept.add(e.key());
            }
        }
    }

    private static boolean holdsUncovered(PackSummary p, LiveChunks live, Set<ChunkKey> kept) {
        for (PackIndexEntry e : p.entries()) {
            if (live.contains(e.key()) && !kept.contains(e.key())) {
                return true;
            }
        }
        return false;
    }

    /** An unindexed pack as its own trailing index describes it (none when that is unreadable). */
    private PackSummary unindexedSummary(String id, long size) throws IOException {
        try {
            return new PackSummary(id, size, PackReader.readIndex(backend, id, size));
        } catch (IntegrityException | io.cryostash.store.backend.ObjectNotFoundException e) {
            return new PackSummary(id, size, List.of());
        }
    }

    /** Copies the live chunks of the packs to repack that no kept pack holds into new packs (verified as read). */
    private List<PackSummary> repack(ExecutorService pool, Plan plan, LiveChunks live) throws IOException {
        List<PackSummary> newPacks = Collections.synchronizedList(new ArrayList<>());
        if (plan.repack.isEmpty()) {
            return newPacks;
        }
        ExecutorService uploads = Executors.newFixedThreadPool(2);
        try {
            Packer packer = new Packer(backend, new ChunkCodec(ChunkCodec.DEFAULT_LEVEL),
                    io.cryostash.store.pack.PackWriter.DEFAULT_TARGET_SIZE, 2, 2, pool, uploads, newPacks::add,
                    lost -> { }, new StoreStats());
            Set<ChunkKey> copied = new HashSet<>();
            for (PackSummary p : plan.repack) {
                byte[] whole = backend.get(PackReader.objectName(p.id()));
                for (PackIndexEntry e : p.entries()) {
                    if (live.contains(e.key()) && !plan.kept.contains(e.key()) && copied.add(e.key())) {
                        // always salted: a repack of the same chunks could otherwise rebuild a condemned pack
                        packer.add(e.key(), PackReader.readChunk(p.id(), whole, e), true);
                    }
                }
            }
            packer.flush();
        } finally {
            uploads.shutdownNow();
        }
        for (PackSummary p : newPacks) {
            for (PackIndexEntry e : p.entries()) {
                plan.kept.add(e.key());
            }
        }
        return newPacks;
    }
}
