// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.ChunkConsumer;
import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.CorruptChunkException;
import io.cryostash.store.Hashing;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.index.IndexFiles;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.pack.ChunkCodec;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.pack.PackWriter;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * Content-addressed chunks on a {@link Backend}: {@link #put} returns the chunk's key (SHA-256 of
 * its bytes) and stores it only if no one has; {@link #get} and {@link #readChunks} return
 * bytes whose hash has been checked against the key.
 *
 * <p>Writes are asynchronous: {@code put} hashes on the caller's thread (≈ 1.7 GB/s), skips a
 * chunk that is in the index or already queued, and hands new chunks to a pool that compresses
 * them (zstd) on every core, packs them and uploads full packs. Only {@link #flush} makes them
 * durable: it uploads the last pack and writes an index object naming the new packs; until then
 * a crash leaves unindexed packs, which garbage collection removes after its grace period. A
 * chunk put by many threads at once, or by two images captured at once through the same store,
 * is stored once. One {@code ChunkStore} per store per process: share it between captures.
 * A failed upload (after the back end's retries) is reported by the next {@link #flush}; its
 * chunks are forgotten, so an image naming them cannot be committed and a later put stores them
 * again. Thread-safe.
 */
public final class ChunkStore implements AutoCloseable {

    /**
     * Tuning.
     *
     * @param compressionLevel zstd level ({@link ChunkCodec#DEFAULT_LEVEL})
     * @param packSize         target pack size in bytes ({@link PackWriter#DEFAULT_TARGET_SIZE})
     * @param threads          compression and read-decoding threads (default: every core)
     */
    public record Options(int compressionLevel, int packSize, int threads) {
        public static Options defaults() {
            return new Options(ChunkCodec.DEFAULT_LEVEL, PackWriter.DEFAULT_TARGET_SIZE,
                    Runtime.getRuntime().availableProcessors());
        }

        public Options withCompressionLevel(int level) {
            return new Options(level, packSize, threads);
        }

        public Options withPackSize(int size) {
            return new Options(compressionLevel, size, threads);
        }

        public Options withThreads(int n) {
            return new Options(compressionLevel, packSize, n);
        }
    }

    private final Backend backend;
    private final ExecutorService pool;
    private final ExecutorService uploads;
    /**
     * Ranged pack reads and their decoding: twice the cores, at least 8 and at most 32, so that
     * while some threads wait for the disk (a directory store reads long spans with O_DIRECT) or
     * the network, the others decode and reads are always queued (1 GiB restore on 2 cores with
     * 2 threads 1.20-1.38 s, 4 threads 0.98-1.11 s, 8 threads 0.92-0.99 s).
     */
    private final ExecutorService readers;
    private final Packer packer;
    private final StoreStats stats = new StoreStats();
    private final Map<ChunkKey, Boolean> pending = new ConcurrentHashMap<>();
    private final Object indexLock = new Object();
    /**
     * Held across a whole {@link #refreshIndex} and {@link #refreshCondemned}: each lists the store,
     * then changes what this process counts on, and a reload that listed the records before another
     * thread's {@link #refreshCondemned} took a new record's packs out would otherwise put them back
     * (and forget the record) when it swaps its index in, under a capture whose lease lists the record.
     * Held too while {@link #flush} writes an index object, which a reload listing before it would miss.
     */
    private final Object refreshLock = new Object();
    private volatile ChunkIndex index;
    private final Set<String> loadedIndexObjects = ConcurrentHashMap.newKeySet();
    private final List<PackSummary> unindexed = new ArrayList<>();
    /** What loading the index had to work around (damaged index objects); empty when nothing. */
    private volatile List<String> indexProblems = List.of();
    /** Packs of a flush whose index object write failed: it may be stored all the same. */
    private final Set<String> maybeIndexed = ConcurrentHashMap.newKeySet();
    /**
     * Packs of the condemnation records this process has seen, taken out of {@link #index}: new
     * chunks are never deduplicated against them (their pack may be deleted), but reads still find
     * them here while they exist. See {@link Condemnations}.
     */
    private final ChunkIndex condemned = new ChunkIndex();
    private final Map<String, Condemnations.Record> seenRecords = new ConcurrentHashMap<>();
    /** Condemnation records that could not be read: never counted as seen (see {@link #refreshCondemned}). */
    private final Set<String> damagedRecords = ConcurrentHashMap.newKeySet();
    private volatile List<String> condemnationProblems = List.of();

    private ChunkStore(Backend backend, Options options) {
        this.backend = backend;
        int threads = Math.max(1, options.threads());
        this.pool = Executors.newFixedThreadPool(threads, daemon("cryostash-chunk"));
        // an upload hashes its pack (the pack's name) and then waits for the disk or the network:
        // twice the cores, so the CPU has a pack to hash while others are written (1 GiB capture
        // on 2 cores with 2 uploaders: about one core busy and 36-40 % idle after the kill)
        int uploaders = Math.min(16, Math.max(4, 2 * threads));
        this.uploads = Executors.newFixedThreadPool(uploaders, daemon("cryostash-upload"));
        this.readers = Executors.newFixedThreadPool(Math.min(32, Math.max(8, 2 * threads)), daemon("cryostash-read"));
        this.packer = new Packer(backend, new ChunkCodec(options.compressionLevel()), options.packSize(), threads,
                uploaders, pool, uploads, this::packStored, this::chunksLost, stats);
    }

    /** Opens a store, loading every index object. */
    public static ChunkStore open(Backend backend, Options options) throws IOException {
        ChunkStore s = new ChunkStore(backend, options);
        try {
            IndexFiles.Loaded l = IndexFiles.loadOrFallBack(backend, s.pool);
            s.index = l.index();
            s.loadedIndexObjects.addAll(l.objectNames());
            s.indexProblems = l.problems();
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    public static ChunkStore open(Backend backend) throws IOException {
        return open(backend, Options.defaults());
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private void packStored(PackSummary p) {
        if (condemned.hasPack(p.id())) {
            // cannot happen while re-stored chunks are salted; if it did, the object may be deleted
            // with the condemned pack of the same name at any time, so none of its chunks are stored
            org.slf4j.LoggerFactory.getLogger(ChunkStore.class).error("pack {} came out byte for byte as a condemned pack;"
                    + " its chunks will be stored again", p.id());
            chunksLost(p.entries().stream().map(PackIndexEntry::key).toList());
            return;
        }
        synchronized (indexLock) {
            // index first, then pending: put() re-checks the index after claiming a pending slot
            index.addPack(p);
            unindexed.add(p);
        }
        for (PackIndexEntry e : p.entries()) {
            pending.remove(e.key());
        }
    }

    private void chunksLost(List<ChunkKey> keys) {
        keys.forEach(pending::remove);
    }

    /** Stores the buffer's remaining bytes (position unchanged) unless already stored; returns the key. */
    public ChunkKey put(ByteBuffer data) throws IOException {
        return putHashed(Hashing.key(data), data);
    }

    public ChunkKey put(byte[] data) throws IOException {
        return putHashed(Hashing.key(data), ByteBuffer.wrap(data));
    }

    /**
     * Stores many chunks, hashing them in parallel; returns their keys in order. For callers
     * that have a batch at hand (an area's chunks) and want hashing off their own thread too.
     */
    public List<ChunkKey> putAll(List<ByteBuffer> chunks) throws IOException {
        ChunkKey[] keys = IntStream.range(0, chunks.size()).parallel()
                .mapToObj(i -> Hashing.key(chunks.get(i))).toArray(ChunkKey[]::new);
        for (int i = 0; i < keys.length; i++) {
            putHashed(keys[i], chunks.get(i));
        }
        return List.of(keys);
    }

    /**
     * Like {@link #putAll}, without copying the chunks: each buffer's remaining bytes must stay
     * unchanged until the next {@link #flush} returns (captured memory, which a capture holds
     * until its image is committed). New chunks of the batch go to compression as one task.
     */
    public List<ChunkKey> putAllOwned(List<ByteBuffer> chunks) throws IOException {
        List<ChunkKey> keys = hashAll(chunks);
        putAllOwnedHashed(keys, chunks);
        return keys;
    }

    /** {@link #putAllOwned} of chunks whose keys the caller computed ({@link #hashAll}). */
    void putAllOwnedHashed(List<ChunkKey> keys, List<ByteBuffer> chunks) throws IOException {
        List<ChunkKey> newKeys = new ArrayList<>(keys.size());
        List<ByteBuffer> newData = new ArrayList<>(keys.size());
        List<ChunkKey> saltedKeys = new ArrayList<>();
        List<ByteBuffer> saltedData = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            ByteBuffer b = chunks.get(i);
            ChunkKey k = keys.get(i);
            if (claim(k, b.remaining())) {
                boolean salted = condemned.has(k); // see Packer#add(ChunkKey, byte[], boolean)
                (salted ? saltedKeys : newKeys).add(k);
                (salted ? saltedData : newData).add(b.duplicate());
            }
        }
        try {
            if (!newKeys.isEmpty()) {
                packer.addAll(newKeys, newData, false);
            }
            if (!saltedKeys.isEmpty()) {
                packer.addAll(saltedKeys, saltedData, true);
            }
        } catch (IOException | RuntimeException e) {
            newKeys.forEach(pending::remove);
            saltedKeys.forEach(pending::remove);
            throw e;
        }
    }

    /** The keys of the given chunks, hashed in parallel; nothing is stored. */
    List<ChunkKey> hashAll(List<ByteBuffer> chunks) {
        return List.of(IntStream.range(0, chunks.size()).parallel().mapToObj(i -> Hashing.key(chunks.get(i)))
                .toArray(ChunkKey[]::new));
    }

    /** Stores chunks whose keys the caller computed ({@link #hashAll}). */
    void putAllHashed(List<ChunkKey> keys, List<ByteBuffer> chunks) throws IOException {
        for (int i = 0; i < keys.size(); i++) {
            putHashed(keys.get(i), chunks.get(i));
        }
    }

    /** Whether a put of this chunk now would store nothing new (it is indexed, or on its way). */
    boolean storedOrQueued(ChunkKey key) {
        return index.has(key) || pending.containsKey(key);
    }

    private ChunkKey putHashed(ChunkKey key, ByteBuffer data) throws IOException {
        int len = data.remaining();
        if (!claim(key, len)) {
            return key;
        }
        byte[] copy = new byte[len];
        data.duplicate().get(copy);
        packer.add(key, copy, condemned.has(key));
        return key;
    }

    /** Counts a put and reserves the key for storing; false when it is stored or being stored already. */
    private boolean claim(ChunkKey key, int len) {
        if (len > StoreFormat.MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("chunk of " + len + " bytes exceeds " + StoreFormat.MAX_CHUNK_SIZE);
        }
        stats.chunksPut.incrementAndGet();
        stats.bytesPut.addAndGet(len);
        if (index.has(key) || pending.putIfAbsent(key, Boolean.TRUE) != null) {
            stats.chunksDeduplicated.incrementAndGet();
            return false;
        }
        if (index.has(key)) { // stored by a pack that finished between the two checks
            pending.remove(key);
            stats.chunksDeduplicated.incrementAndGet();
            return false;
        }
        stats.chunksNew.incrementAndGet();
        stats.bytesNew.addAndGet(len);
        return true;
    }

    /**
     * Returns once every chunk handed over so far is compressed: after this, no buffer given to
     * {@link #putAllOwned} is read any more (an abandoned capture may then reuse its memory).
     */
    public void awaitCompressed() throws IOException {
        packer.awaitCompressed();
    }

    /**
     * Sends every chunk put so far to upload now, in the packs they are in, without waiting for
     * the uploads (after compression): a caller with more to do before {@link #flush} (a capture
     * encoding its chunk tables) overlaps that work with the upload of its last pages.
     */
    public void sealOpenPack() throws IOException {
        packer.sealOpen();
    }

    /**
     * Makes every chunk put so far durable: uploads the open pack, waits for all uploads and
     * writes one index object for the packs written since the last flush.
     */
    public void flush() throws IOException {
        packer.flush();
        // Under refreshLock: a reload that listed the index objects before this one was written
        // would otherwise swap in an index without these packs once they have left `unindexed`
        // (a capture beside it then stores them again, or finds them missing at its commit).
        synchronized (refreshLock) {
            writeIndexObject();
        }
    }

    private void writeIndexObject() throws IOException {
        List<PackSummary> toWrite;
        synchronized (indexLock) {
            // a pack of this process that a GC condemned (unindexed past the grace period) stays out
            // of the index: the run that settles its record deletes it unless an image needs it
            unindexed.removeIf(p -> condemned.hasPack(p.id()));
            toWrite = new ArrayList<>(unindexed);
        }
        if (!toWrite.isEmpty()) {
            String name;
            try {
                name = IndexFiles.write(backend, toWrite);
            } catch (IOException | RuntimeException e) {
                // the object may be stored all the same (a timeout after the write): these packs
                // must then exist, so discardUnindexed leaves them; a later flush names them again
                toWrite.forEach(p -> maybeIndexed.add(p.id()));
                throw e;
            }
            stats.indexObjectsWritten.incrementAndGet();
            synchronized (indexLock) {
                unindexed.removeAll(toWrite);
                loadedIndexObjects.add(name);
            }
        }
    }

    /**
     * Deletes the packs uploaded since the last {@link #flush} and never indexed, after giving
     * up what is still queued: what a capture that failed (a full disk, a lost back end, its
     * quota) leaves behind. Call only when no image is being written through this store: no other
     * writer of this process can have skipped a chunk because one of these packs holds it. No
     * other process can count on them either: no index object names them; garbage collection,
     * which may run meanwhile, only ever condemns an unindexed pack (settling a record that names
     * a pack already gone is harmless) and never reads one for an image — but once it has, another
     * host's commit may put the pack back, so condemned packs are left to the run that settles
     * their record. Two exceptions keep
     * packs: those whose index object may have been written after all (its write failed), and
     * every pack while the store's index is damaged, since then every process reads packs no
     * intact index object names through their own indexes ({@link IndexFiles#loadOrFallBack}) and
     * may have deduplicated against these; they are left to {@code repair-index} and GC. Failures
     * to delete are left to garbage collection; returns how many packs were deleted.
     */
    public int discardUnindexed() throws IOException {
        packer.discard();
        // A pack a garbage collection condemned is that collection's to settle: another host's
        // capture that counted on it in good faith puts it back into the index when it commits
        // (ImageWriter.resurrectOrRefuse), so deleting it here could take chunks from an image.
        // The settling run deletes it unless an image needs it (GcProperties found this).
        refreshCondemned();
        List<PackSummary> gone = new ArrayList<>();
        synchronized (indexLock) {
            if (!indexProblems.isEmpty()) {
                org.slf4j.LoggerFactory.getLogger(ChunkStore.class).warn("{} packs of an abandoned capture left to gc:"
                        + " the store's index is damaged, another process may count on them", unindexed.size());
            } else {
                for (PackSummary p : unindexed) {
                    if (!maybeIndexed.contains(p.id()) && !condemned.hasPack(p.id())) {
                        gone.add(p);
                    }
                }
                unindexed.removeAll(gone);
                index.removePacks(Set.copyOf(gone.stream().map(PackSummary::id).toList()));
            }
        }
        pending.clear();
        int deleted = 0;
        for (PackSummary p : gone) {
            try {
                backend.delete(PackReader.objectName(p.id()));
                deleted++;
            } catch (IOException e) {
                org.slf4j.LoggerFactory.getLogger(ChunkStore.class).warn("could not delete abandoned pack {}: {}",
                        p.id(), e.toString());
            }
        }
        return deleted;
    }

    /**
     * Picks up index objects written by other processes since open (one LIST; reads only new
     * objects). When an object this store had loaded is gone — garbage collection replaced
     * it — the whole index is reloaded, so chunks GC removed are no longer taken as stored.
     * Safe while captures run: a pack one of them counted on stays in the index objects until a
     * record naming it settles, which that capture's lease holds back; a reload that reads such a
     * record takes the pack out, and the capture's commit puts it back
     * ({@link ImageWriter}'s resurrection). A capture whose lease went stale does not commit. The
     * captures' own packs not yet in an index object are carried over, and an index object being
     * written (flush, resurrection) is never missed: both hold {@link #refreshLock}.
     */
    public void refreshIndex() throws IOException {
        synchronized (refreshLock) {
            refreshIndexLocked();
        }
    }

    private void refreshIndexLocked() throws IOException {
        List<ObjectInfo> now = backend.list(StoreFormat.INDEX);
        Set<String> names = new HashSet<>();
        for (ObjectInfo o : now) {
            names.add(o.name());
        }
        if (!names.containsAll(loadedIndexObjects)) {
            reloadIndex();
            return;
        }
        for (String n : names) {
            if (!loadedIndexObjects.contains(n)) {
                List<PackSummary> packs;
                try {
                    packs = IndexFiles.decode(n, backend.get(n));
                } catch (io.cryostash.store.backend.ObjectNotFoundException e) {
                    continue;
                } catch (io.cryostash.store.IntegrityException damaged) {
                    reloadIndex(); // falls back to the packs' own indexes and records the problem
                    return;
                }
                synchronized (indexLock) {
                    // a pack of a record this process has seen stays out even when another capture
                    // put it back: this process's leases list the record, which lets GC settle it
                    // and delete the pack unless an image it has already marked needs it
                    packs.stream().filter(p -> !condemned.hasPack(p.id())).forEach(index::addPack);
                    loadedIndexObjects.add(n);
                }
            }
        }
    }

    /**
     * Loads the whole index again, falling back to the packs' own indexes for what a damaged index
     * object named ({@link IndexFiles#loadOrFallBack}; {@link #indexProblems} says so). Packs read
     * that way may include condemned ones (no index object names an unindexed pack a GC condemned):
     * a writer takes them out again in the same step (it reads every record anew before the new index
     * replaces the old), a reader may read them while they exist.
     */
    private void reloadIndex() throws IOException {
        // Records settled since are gone from the store, and their packs either deleted (and out
        // of the index loaded below) or resurrected (and in it): start from what is listed now. A
        // writer reads them before the index objects, because a GC run deletes a settled record
        // only after the index objects that named its packs: a record gone by now means those
        // objects are gone from the listing below. Read after the load, a record settled in
        // between went unseen while the index objects loaded still named the packs it deleted.
        // And before the swap, so that no put in between dedupes against a pack of a record it
        // lists in its lease. A process that only reads never looks at records: it counts on nothing.
        boolean writing = !seenRecords.isEmpty();
        List<Condemnations.Record> records = writing ? readRecords(Condemnations.ids(backend), id -> false) : List.of();
        IndexFiles.Loaded l = IndexFiles.loadOrFallBack(backend, pool);
        synchronized (indexLock) {
            ChunkIndex fresh = l.index();
            unindexed.forEach(fresh::addPack);
            // out of the new index before it is published: claim() reads the index without a lock
            takeOutOf(fresh, records);
            index = fresh;
            // Only then are the records settled since forgotten, and their packs (deleted, or back
            // in the index objects just loaded): condemnedHolding, unreadable and locate read these
            // without the lock, and a pack still condemned must never be missing from both the
            // index and `condemned` (a sibling capture's commit would be refused, a read would fail).
            Set<String> listed = new HashSet<>();
            Set<String> stillCondemned = new HashSet<>();
            for (Condemnations.Record r : records) {
                listed.add(r.id());
                r.packs().forEach(p -> stillCondemned.add(p.id()));
            }
            seenRecords.keySet().retainAll(listed);
            condemned.removePacks(Set.copyOf(condemned.packs().stream().map(PackSummary::id)
                    .filter(id -> !stillCondemned.contains(id)).toList()));
            loadedIndexObjects.clear();
            loadedIndexObjects.addAll(l.objectNames());
            indexProblems = l.problems();
        }
    }

    /**
     * What the last load of the index had to work around, one sentence each for the user: a
     * damaged index object, and that the packs' own indexes were read instead; a damaged
     * condemnation record met since. Empty normally.
     */
    public List<String> indexProblems() {
        if (condemnationProblems.isEmpty()) {
            return indexProblems;
        }
        List<String> all = new ArrayList<>(indexProblems);
        all.addAll(condemnationProblems);
        return List.copyOf(all);
    }

    /**
     * Reads the condemnation records written since this process last looked and takes their packs
     * out of the index (into {@link #condemned}); returns the ids of every record this process has
     * seen, which a capture lists in its lease. Packs stay out until a full index reload, even when
     * another capture resurrects one: whatever this process has seen condemned it never counts on.
     */
    public Set<String> refreshCondemned() throws IOException {
        synchronized (refreshLock) {
            List<Condemnations.Record> records = readRecords(Condemnations.ids(backend), seenRecords::containsKey);
            if (!records.isEmpty()) {
                synchronized (indexLock) {
                    takeOutOf(index, records);
                }
            }
            return seenRecordIds();
        }
    }

    /** The ids of every record this process has seen (what a capture lists in its lease). */
    public Set<String> seenRecordIds() {
        return Set.copyOf(seenRecords.keySet());
    }

    /** Reads the records listed, but those {@code skip} says this process has; damaged ones are noted, settled ones left out. */
    private List<Condemnations.Record> readRecords(List<String> ids, java.util.function.Predicate<String> skip)
            throws IOException {
        List<Condemnations.Record> records = new ArrayList<>();
        for (String id : ids) {
            if (skip.test(id)) {
                continue;
            }
            try {
                records.add(Condemnations.read(backend, StoreFormat.CONDEMNED + id));
            } catch (io.cryostash.store.backend.ObjectNotFoundException settled) {
                // settled meanwhile: its packs are gone from the index objects, or back in them
            } catch (io.cryostash.store.IntegrityException damaged) {
                noteDamagedRecord(id, damaged);
            }
        }
        return records;
    }

    /** Under {@link #indexLock}: the records' packs leave {@code target} (the index, or the one about to be) for {@link #condemned}. */
    private void takeOutOf(ChunkIndex target, List<Condemnations.Record> records) {
        Set<String> packs = new HashSet<>();
        for (Condemnations.Record r : records) {
            seenRecords.put(r.id(), r);
            for (PackSummary p : r.packs()) {
                packs.add(p.id());
                condemned.addPack(p);
            }
        }
        target.removePacks(packs);
    }

    /**
     * A record that cannot be read names packs nobody knows. Its packs stay in the index objects
     * until the record is settled, so this process keeps counting on them, and it leaves the record
     * out of what it has seen: no garbage collection can settle (and delete) it while a capture of
     * this process holds a lease. Captures go on; garbage collection stops on the record until
     * {@code repair-index} drops it.
     */
    private void noteDamagedRecord(String id, io.cryostash.store.IntegrityException damaged) {
        if (!damagedRecords.add(id)) {
            return;
        }
        String problem = damaged.getMessage() + ": captures go on counting on the packs it"
                + " may name, and garbage collection stops until `cryostash repair-index` drops the record";
        List<String> all = new ArrayList<>(condemnationProblems);
        all.add(problem);
        condemnationProblems = List.copyOf(all);
        org.slf4j.LoggerFactory.getLogger(ChunkStore.class).warn(problem);
    }

    /** The record (among those seen) that condemned the pack holding {@code key}, if any. */
    Optional<Condemnations.Record> condemnedHolding(ChunkKey key) {
        return condemned.lookup(key).flatMap(l -> seenRecords.values().stream()
                .filter(r -> r.packs().stream().anyMatch(p -> p.id().equals(l.packId()))).findFirst());
    }

    /**
     * Puts condemned packs back into the store's index (one index object), for a capture that
     * counted on their chunks before it could know of the condemnation. They stay out of this
     * process's own index (see {@link #refreshCondemned}).
     */
    void resurrect(Collection<PackSummary> packs) throws IOException {
        if (packs.isEmpty()) {
            return;
        }
        synchronized (refreshLock) { // as flush: a reload listing before this write would not know the object
            String name = IndexFiles.write(backend, List.copyOf(packs));
            stats.indexObjectsWritten.incrementAndGet();
            loadedIndexObjects.add(name);
        }
    }

    /** Whether the chunk is stored (in the index; chunks still being uploaded do not count). */
    public boolean has(ChunkKey key) {
        return index.has(key);
    }

    /**
     * The keys not stored, in the order given: one hash lookup each, no I/O. Chunks only in
     * condemned packs count as missing: what a new image names must be in the index.
     */
    public Set<ChunkKey> missing(Collection<ChunkKey> keys) {
        return index.missing(keys);
    }

    /**
     * As {@link #missing}, after a {@link #flush}, for a writer about to commit: a chunk that another
     * writer of this store claimed a moment before this one put it (so this one skipped it) may
     * reach the packer only after this writer's flush returned. Such keys are waited for, flushing
     * again until they are indexed and their index object is written, or their claim is given up
     * (that writer failed: they stay missing), for at most {@code patience}.
     */
    Set<ChunkKey> missingOnceClaimsSettle(Collection<ChunkKey> keys, java.time.Duration patience) throws IOException {
        Set<ChunkKey> out = index.missing(keys);
        long deadline = System.nanoTime() + patience.toNanos();
        boolean waited = false;
        while (out.stream().anyMatch(pending::containsKey) && System.nanoTime() < deadline) {
            waited = true;
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("waiting for chunks another capture is storing");
            }
            flush();
            out = index.missing(out);
        }
        if (waited) {
            flush(); // the index object of a pack stored during the last round
        }
        return out;
    }

    /** As {@link #missing}, but a chunk in a condemned pack that still exists can be read and is not missing. */
    public Set<ChunkKey> unreadable(Collection<ChunkKey> keys) {
        Set<ChunkKey> out = index.missing(keys);
        out.removeIf(condemned::has);
        return out;
    }

    private Optional<ChunkIndex.Location> locate(ChunkKey key) {
        Optional<ChunkIndex.Location> l = index.lookup(key);
        return l.isPresent() ? l : condemned.lookup(key);
    }

    /** Reads one chunk, checked against its key. */
    public byte[] get(ChunkKey key) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return getOnce(key);
            } catch (PackGoneException e) {
                if (attempt == READ_ATTEMPTS) {
                    throw e;
                }
                refreshIndex(); // as in readChunks
            }
        }
    }

    private byte[] getOnce(ChunkKey key) throws IOException {
        ChunkIndex.Location loc = locate(key)
                .orElseThrow(() -> new ChunkMissingException(key, null, "not in the index"));
        byte[] data;
        try {
            data = PackReader.readChunk(backend, loc.packId(), loc.entry());
        } catch (CorruptChunkException e) {
            // a damaged transfer looks the same as damaged storage: read once more before deciding
            data = PackReader.readChunk(backend, loc.packId(), loc.entry());
        } catch (io.cryostash.store.backend.ObjectNotFoundException e) {
            throw new PackGoneException(key, loc.packId());
        }
        stats.chunksRead.incrementAndGet();
        stats.bytesRead.addAndGet(data.length);
        return data;
    }

    /**
     * Reads many chunks, ranged reads of up to {@link #MAX_SPAN} per pack ({@link #spans}), all at
     * once and decoding on every core, handing each
     * distinct key once to {@code sink} (possibly concurrently). Every key is looked up before
     * any byte is read: a missing chunk fails the call before the sink sees anything.
     */
    public void readChunks(Collection<ChunkKey> keys, ChunkConsumer sink) throws IOException {
        readChunkBuffers(keys, (k, data) -> {
            byte[] copy = new byte[data.remaining()];
            data.duplicate().get(copy);
            sink.accept(k, copy);
        });
    }

    /**
     * As {@link #readChunks}, each chunk handed over in a buffer valid only during the call: from a
     * directory store read with O_DIRECT, a chunk goes from the disk to the reading thread's own
     * buffers and to {@code sink} with one copy, its decompression.
     */
    public void readChunkBuffers(Collection<ChunkKey> keys, io.cryostash.store.ChunkBufferConsumer sink)
            throws IOException {
        Set<ChunkKey> delivered = ConcurrentHashMap.newKeySet();
        Collection<ChunkKey> rest = keys;
        for (int attempt = 1; ; attempt++) {
            try {
                readChunksOnce(rest, (k, data) -> {
                    sink.accept(k, data);
                    delivered.add(k);
                });
                return;
            } catch (PackGoneException e) {
                if (attempt == READ_ATTEMPTS) {
                    throw e;
                }
                // garbage collection deleted a pack after this process loaded the index: by then no
                // index object names it, so a reloaded index points at the copy that was kept
                refreshIndex();
                List<ChunkKey> left = new ArrayList<>();
                for (ChunkKey k : new LinkedHashSet<>(keys)) {
                    if (!delivered.contains(k)) {
                        left.add(k);
                    }
                }
                rest = left;
            }
        }
    }

    /**
     * One chunk, read and checked on the calling thread: a page fault waiting for it must not queue
     * behind the bulk reads on the readers' pool (a lazy restore's background fill).
     */
    public byte[] readChunk(ChunkKey key) throws IOException {
        for (int attempt = 1; ; attempt++) {
            ChunkIndex.Location loc = locate(key).orElseThrow(() -> new ChunkMissingException(key, null, "not in the index"));
            try {
                byte[] data = PackReader.readChunk(backend, loc.packId(), loc.entry());
                stats.chunksRead.incrementAndGet();
                stats.bytesRead.addAndGet(data.length);
                return data;
            } catch (io.cryostash.store.backend.ObjectNotFoundException gone) {
                if (attempt == READ_ATTEMPTS) {
                    throw new PackGoneException(key, loc.packId());
                }
                refreshIndex(); // as readChunks does: GC replaced the pack after this index was loaded
            }
        }
    }

    /** Reads of a pack that turned out gone are tried again this often, each time on a reloaded index. */
    private static final int READ_ATTEMPTS = 3;

    /** A pack the index named is gone: the index this process holds is older than a garbage collection. */
    static final class PackGoneException extends ChunkMissingException {
        PackGoneException(ChunkKey key, String packId) {
            super(key, null, "pack " + packId + " is gone");
        }
    }

    private void readChunksOnce(Collection<ChunkKey> keys, io.cryostash.store.ChunkBufferConsumer sink) throws IOException {
        Map<String, List<PackIndexEntry>> byPack = new LinkedHashMap<>();
        for (ChunkKey k : new LinkedHashSet<>(keys)) {
            ChunkIndex.Location loc = locate(k)
                    .orElseThrow(() -> new ChunkMissingException(k, null, "not in the index"));
            byPack.computeIfAbsent(loc.packId(), p -> new ArrayList<>()).add(loc.entry());
        }
        List<Future<?>> fs = new ArrayList<>();
        for (Map.Entry<String, List<PackIndexEntry>> e : byPack.entrySet()) {
            for (List<PackIndexEntry> span : spans(e.getValue())) {
                fs.add(readers.submit(() -> {
                    readFromPack(e.getKey(), span, sink);
                    return null;
                }));
            }
        }
        IOException first = null;
        for (Future<?> f : fs) {
            try {
                f.get();
            } catch (ExecutionException ex) {
                if (first == null) {
                    first = ex.getCause() instanceof IOException io ? io : new IOException(ex.getCause());
                    fs.forEach(x -> x.cancel(true));
                }
            } catch (java.util.concurrent.CancellationException ignored) {
                // cancelled after the first failure
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                fs.forEach(x -> x.cancel(true));
                throw new InterruptedIOException("reading chunks");
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Most compressed bytes one ranged read fetches: a pack's chunks are read and decoded by several threads at once. */
    static final int MAX_SPAN = 2 << 20;
    /** Unwanted bytes between two wanted chunks that one ranged read still reads through rather than make two requests. */
    static final int MAX_GAP = 256 << 10;

    /**
     * A pack's wanted chunks as the ranged reads that fetch them, in pack order: consecutive
     * chunks share a read up to {@link #MAX_SPAN} bytes, and a gap larger than {@link #MAX_GAP}
     * (chunks of other images) starts a new one, so an incremental image's few chunks in a parent's
     * pack do not cost the whole pack. Smaller reads also let the pool decode one pack on every core
     * while the rest of it is still arriving.
     */
    static List<List<PackIndexEntry>> spans(List<PackIndexEntry> entries) {
        List<PackIndexEntry> sorted = new ArrayList<>(entries);
        sorted.sort(java.util.Comparator.comparingLong(PackIndexEntry::offset));
        List<List<PackIndexEntry>> runs = new ArrayList<>(); // split at the gaps first
        List<PackIndexEntry> cur = new ArrayList<>();
        long end = 0;
        for (PackIndexEntry e : sorted) {
            if (!cur.isEmpty() && e.offset() - end > MAX_GAP) {
                runs.add(cur);
                cur = new ArrayList<>();
            }
            cur.add(e);
            end = Math.max(end, e.end());
        }
        if (!cur.isEmpty()) {
            runs.add(cur);
        }
        List<List<PackIndexEntry>> out = new ArrayList<>();
        for (List<PackIndexEntry> run : runs) { // then into reads of about equal size, none above MAX_SPAN
            long bytes = run.get(run.size() - 1).end() - run.get(0).offset();
            long target = Math.max(1, bytes / Math.max(1, (bytes + MAX_SPAN - 1) / MAX_SPAN));
            List<PackIndexEntry> part = new ArrayList<>();
            long start = 0;
            for (PackIndexEntry e : run) {
                if (!part.isEmpty() && (e.end() - start > MAX_SPAN || e.offset() - start >= target)) {
                    out.add(part);
                    part = new ArrayList<>();
                }
                if (part.isEmpty()) {
                    start = e.offset();
                }
                part.add(e);
            }
            out.add(part);
        }
        return out;
    }

    private void readFromPack(String packId, List<PackIndexEntry> entries, io.cryostash.store.ChunkBufferConsumer sink)
            throws IOException {
        long from = Long.MAX_VALUE;
        long to = 0;
        for (PackIndexEntry e : entries) {
            from = Math.min(from, e.offset());
            to = Math.max(to, e.end());
        }
        long spanStart = from;
        try {
            backend.readRange(PackReader.objectName(packId), from, (int) (to - from), span -> {
                for (PackIndexEntry e : entries) {
                    ByteBuffer data;
                    try {
                        data = PackReader.readChunk(packId, span, new PackIndexEntry(e.key(), e.offset() - spanStart,
                                e.compressedLength(), e.uncompressedLength(), e.crc32c()));
                    } catch (CorruptChunkException ex) {
                        // once more, alone, before giving up
                        data = ByteBuffer.wrap(PackReader.readChunk(backend, packId, e));
                    }
                    stats.chunksRead.incrementAndGet();
                    stats.bytesRead.addAndGet(data.remaining());
                    sink.accept(e.key(), data);
                }
            });
        } catch (io.cryostash.store.backend.ObjectNotFoundException ex) {
            throw new PackGoneException(entries.get(0).key(), packId);
        }
    }

    /** The in-memory index (for the checker and GC; do not mutate). */
    public ChunkIndex index() {
        return index;
    }

    public Backend backend() {
        return backend;
    }

    public StoreStats.Snapshot stats() {
        return stats.snapshot();
    }

    /**
     * Stops the pools. Does not flush: chunks put since the last {@link #flush} may be lost,
     * which is what an aborted capture wants (GC collects its packs).
     */
    @Override
    public void close() {
        pool.shutdownNow();
        uploads.shutdownNow();
        readers.shutdownNow();
    }
}
