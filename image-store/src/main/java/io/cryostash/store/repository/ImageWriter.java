// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.ChunkMissingException;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.sign.ManifestCodec;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.FileRef;
import io.cryostash.schema.store.StoreFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes one image: its chunks (memory areas, files, anything else), then — last — its signed
 * manifest.
 *
 * <p>Every chunk put through the writer, or named with {@link #reuse}, is recorded and listed
 * in the manifest envelope, directly or through a chunk table ({@link #putTables}), which is
 * what keeps those chunks alive through garbage collection
 * and lets the checker and restore verify the image without understanding its payload. Until
 * {@link #commit} the image is invisible: a capture that dies leaves only packs that GC
 * collects. The writer holds a shared store lock so that GC cannot remove chunks it skipped as
 * already stored. Thread-safe: many capture threads may put at once.
 */
public final class ImageWriter implements AutoCloseable {
    private final Repository repo;
    private final StoreLock lock;
    private final Set<ChunkKey> keys = ConcurrentHashMap.newKeySet();
    private final Set<ChunkKey> tables = ConcurrentHashMap.newKeySet();
    private final Set<ChunkKey> namedByTables = ConcurrentHashMap.newKeySet();
    private final Set<ChunkKey> reused = ConcurrentHashMap.newKeySet();
    private final StoreStats.Snapshot statsAtStart;
    private final Set<String> acknowledged;
    private volatile boolean done;

    private final Repository.UploadLimit limit;
    /** Keys hashed ahead of storing (a --kill capture, while its spool is on the disk); null: none. */
    private KnownKeys known;
    private final java.util.concurrent.atomic.AtomicLong newBytes = new java.util.concurrent.atomic.AtomicLong();

    ImageWriter(Repository repo, StoreLock lock, Set<String> acknowledged, Repository.UploadLimit limit) {
        this.repo = repo;
        this.lock = lock;
        this.acknowledged = Set.copyOf(acknowledged);
        this.limit = limit;
        this.statsAtStart = repo.chunks().stats();
    }

    /** Stores one chunk (e.g. registers, a small blob) and records it. */
    public ChunkKey put(ByteBuffer data) throws IOException {
        checkOpen();
        if (limit != null) {
            return putAll(List.of(data)).get(0);
        }
        ChunkKey k = repo.chunks().put(data);
        keys.add(k);
        return k;
    }

    public ChunkKey put(byte[] data) throws IOException {
        return put(ByteBuffer.wrap(data));
    }

    /** Stores many chunks, hashed in parallel. */
    public List<ChunkKey> putAll(List<ByteBuffer> chunks) throws IOException {
        checkOpen();
        if (limit == null) {
            List<ChunkKey> ks = repo.chunks().putAll(chunks);
            keys.addAll(ks);
            return ks;
        }
        List<ChunkKey> ks = hashWithinLimit(chunks);
        repo.chunks().putAllHashed(ks, chunks);
        keys.addAll(ks);
        return ks;
    }

    /**
     * With a quota, the new bytes are counted before anything is handed to the uploader: the
     * chunk that would go over is never uploaded.
     */
    private List<ChunkKey> hashWithinLimit(List<ByteBuffer> chunks) throws IOException {
        List<ChunkKey> ks = hash(chunks);
        long added = 0;
        Set<ChunkKey> seen = new java.util.HashSet<>();
        for (int i = 0; i < ks.size(); i++) {
            if (seen.add(ks.get(i)) && !repo.chunks().storedOrQueued(ks.get(i))) {
                added += chunks.get(i).remaining();
            }
        }
        long total = newBytes.addAndGet(added);
        if (total > limit.bytes()) {
            throw new io.cryostash.store.UploadLimitException("this capture would store more than " + limit.what()
                    + " (" + total + " new bytes so far, before compression): it stops before uploading them and keeps no"
                    + " image; raise the quota or forget old images");
        }
        return ks;
    }

    /** The chunks' keys: those hashed ahead ({@link #knowing}), the others hashed now, in parallel. */
    private List<ChunkKey> hash(List<ByteBuffer> chunks) {
        if (known == null) {
            return repo.chunks().hashAll(chunks);
        }
        ChunkKey[] ks = new ChunkKey[chunks.size()];
        List<ByteBuffer> rest = new java.util.ArrayList<>();
        List<Integer> at = new java.util.ArrayList<>();
        for (int i = 0; i < ks.length; i++) {
            ks[i] = known.find(chunks.get(i));
            if (ks[i] == null) {
                rest.add(chunks.get(i));
                at.add(i);
            }
        }
        if (!rest.isEmpty()) {
            List<ChunkKey> hashed = repo.chunks().hashAll(rest);
            for (int j = 0; j < hashed.size(); j++) {
                ks[at.get(j)] = hashed.get(j);
            }
        }
        return List.of(ks);
    }

    /**
     * Takes chunk keys from {@code keys} where a chunk is exactly a range hashed there, whose
     * bytes must not have changed since (see {@link KnownKeys}).
     */
    public ImageWriter knowing(KnownKeys keys) {
        this.known = keys;
        return this;
    }

    /**
     * Stores many chunks without copying them: their bytes must stay unchanged until
     * {@link #commit} (see {@link ChunkStore#putAllOwned}).
     */
    public List<ChunkKey> putAllOwned(List<ByteBuffer> chunks) throws IOException {
        checkOpen();
        if (limit == null && known == null) {
            List<ChunkKey> ks = repo.chunks().putAllOwned(chunks);
            keys.addAll(ks);
            return ks;
        }
        List<ChunkKey> ks = limit == null ? hash(chunks) : hashWithinLimit(chunks);
        repo.chunks().putAllOwnedHashed(ks, chunks);
        keys.addAll(ks);
        return ks;
    }

    /**
     * Stores a memory area's present pages as chunks; the result goes into the process-image
     * manifest for that area.
     */
    public AreaChunks putArea(AreaChunker chunker, long start, long length, AreaChunker.PagePresence presence,
                              AreaChunker.MemoryReader reader) throws IOException {
        return chunker.capture(start, length, presence, reader, this::putAllOwned);
    }

    /**
     * Incremental version of {@link #putArea}: chunks of {@code parent} (the same area in the
     * parent image) whose pages were not written are reused without reading memory.
     */
    public AreaChunks putAreaIncremental(AreaChunker chunker, AreaChunks parent, long start, long length,
                                         AreaChunker.PagePresence presence, AreaChunker.PagePresence dirty,
                                         AreaChunker.MemoryReader reader) throws IOException {
        AreaChunks a = chunker.captureIncremental(parent, start, length, presence, dirty, reader, this::putAllOwned);
        List<ChunkKey> ks = new java.util.ArrayList<>(a.chunks().size());
        a.chunks().forEach(c -> ks.add(c.key()));
        a.patches().forEach(c -> ks.add(c.key()));
        reuse(ks);
        return a;
    }

    /** Stores a whole file (executable, library) by content; shared with every image that has it. */
    public FileRef putFile(Path file) throws IOException {
        checkOpen();
        FileRef ref = repo.files().put(file);
        keys.addAll(ref.chunks());
        return ref;
    }

    /** Stores bytes as a whole file by content (a memfd's or a deleted file's contents, say). */
    public FileRef putBytes(byte[] data) throws IOException {
        checkOpen();
        FileRef ref = repo.files().put(new java.io.ByteArrayInputStream(data));
        keys.addAll(ref.chunks());
        return ref;
    }

    /**
     * Names chunks that are already stored (an incremental capture reusing its parent's
     * unchanged chunks). Checked at commit: a key the store does not have fails the commit.
     */
    public void reuse(Collection<ChunkKey> existing) {
        checkOpen();
        keys.addAll(existing);
        reused.addAll(existing);
    }

    /**
     * Stores chunk tables ({@link io.cryostash.store.memory.AreaTableCodec}) naming
     * {@code named}, chunks already put or reused through this writer. The manifest then lists
     * the tables instead of those chunks, which keeps manifests small and lets snapshots share
     * the tables of unchanged memory.
     *
     * @return the tables' keys, in the order given
     */
    public List<ChunkKey> putTables(List<byte[]> encodedTables, Collection<ChunkKey> named) throws IOException {
        checkOpen();
        List<ByteBuffer> bufs = new java.util.ArrayList<>(encodedTables.size());
        encodedTables.forEach(t -> bufs.add(ByteBuffer.wrap(t)));
        List<ChunkKey> ks = repo.chunks().putAll(bufs);
        namedByTables.addAll(named);
        tables.addAll(ks);
        return ks;
    }

    /**
     * Sends the chunks put so far to upload without waiting ({@link ChunkStore#sealOpenPack}):
     * what is put next (the chunk tables) goes into a pack of its own while they upload.
     */
    public void sealPack() throws IOException {
        checkOpen();
        repo.chunks().sealOpenPack();
    }

    /** Chunks recorded so far. */
    public int chunkCount() {
        return keys.size();
    }

    /** Counters of the shared chunk store since this writer opened (other concurrent writers included). */
    public StoreStats.Snapshot stats() {
        return repo.chunks().stats().minus(statsAtStart);
    }

    /**
     * Makes the image visible: flushes the chunks, checks that every recorded chunk is stored,
     * signs the envelope around {@code manifest} (the process-image JSON) and writes it.
     *
     * @return the image id
     */
    public String commit(byte[] manifest) throws IOException {
        checkOpen();
        if (manifest.length > StoreFormat.MAX_PAYLOAD_SIZE) {
            throw new IllegalArgumentException("manifest of " + manifest.length + " bytes exceeds " + StoreFormat.MAX_PAYLOAD_SIZE);
        }
        // records before the index object: a pack condemned meanwhile stays out of the index object
        // flush writes, and goes back (below) only when this image names its chunks. The open pack
        // goes to upload first, so that listing the records overlaps its upload.
        repo.chunks().sealOpenPack();
        repo.chunks().refreshCondemned();
        repo.chunks().flush();
        // lists, not sets: an incremental snapshot names ~50,000 chunks, and hashing them into new
        // sets twice per commit cost more than the look-ups themselves (repeats are harmless)
        List<ChunkKey> all = new java.util.ArrayList<>(keys.size() + tables.size());
        all.addAll(keys);
        all.addAll(tables);
        resurrectOrRefuse(repo.chunks().missingOnceClaimsSettle(all, java.time.Duration.ofMinutes(1)));
        if (java.time.Duration.between(lock.lastWritten(), Instant.now()).compareTo(StoreLock.COMMIT_WITHIN) > 0) {
            throw new IOException("this capture's store lease was last written at " + lock.lastWritten() + ", longer ago than "
                    + StoreLock.COMMIT_WITHIN + " (was the process stopped?): garbage collection may have taken it for dead"
                    + " and removed chunks the image counts on, so it is not committed; capture again");
        }
        if (!keys.containsAll(namedByTables)) {
            throw new IllegalStateException("a chunk table names chunks that were neither put nor reused through this writer");
        }
        List<ChunkKey> direct = new java.util.ArrayList<>();
        for (ChunkKey k : keys) {
            if (!namedByTables.contains(k)) {
                direct.add(k);
            }
        }
        byte[] encoded = ManifestCodec.sign(repo.hostKeys(), Instant.now(), repo.hostName(), direct, tables, manifest);
        String id = ManifestCodec.imageId(encoded);
        repo.chunks().backend().put(StoreFormat.MANIFESTS + id, encoded);
        done = true;
        repo.writerClosed(this);
        lock.close();
        return id;
    }

    /** Every chunk and chunk table the committed image names (what a read checks is stored), each once. */
    public List<ChunkKey> named() {
        List<ChunkKey> all = new java.util.ArrayList<>(keys.size() + tables.size());
        all.addAll(keys);
        for (ChunkKey t : tables) {
            if (!keys.contains(t)) {
                all.add(t);
            }
        }
        return List.copyOf(all);
    }

    /**
     * Chunks the image names that are not in the index. One whose pack a garbage collection
     * condemned after this capture started (a record the lease does not list) was counted on in
     * good faith: its pack still exists (the record cannot be settled while this lease lives) and
     * goes back into the store's index before the manifest is written. One condemned before the
     * capture started can only come from {@link #reuse} of an image that was deleted: refused.
     */
    private void resurrectOrRefuse(Set<ChunkKey> missing) throws IOException {
        Map<String, io.cryostash.store.index.PackSummary> back = new java.util.HashMap<>();
        for (ChunkKey k : missing) {
            var record = repo.chunks().condemnedHolding(k);
            if (record.isEmpty()) {
                throw new ChunkMissingException(k, null, tables.contains(k) ? "chunk table of the image being written not stored"
                        : reused.contains(k) ? "reused from an earlier image, but the store does not have it: that image was"
                        + " deleted or expired and its chunks collected; capture again without that parent"
                        : "named by the image being written but not stored");
            }
            if (acknowledged.contains(record.get().id())) {
                throw new ChunkMissingException(k, null, "named by the image being written, but garbage collection had"
                        + " condemned its pack (record " + record.get().id() + ") before this capture started: it was reused"
                        + " from an image that has since been deleted or expired; capture again without that parent");
            }
            record.get().packs().stream().filter(p -> p.entries().stream().anyMatch(e -> e.key().equals(k)))
                    .forEach(p -> back.put(p.id(), p));
        }
        repo.chunks().resurrect(back.values());
    }

    StoreLock lock() {
        return lock;
    }

    private void checkOpen() {
        if (done) {
            throw new IllegalStateException("image writer already committed or closed");
        }
    }

    /**
     * Abandons the image if not committed: nothing becomes visible, and the packs uploaded for it
     * that no index names are deleted when no other image is being written through this store
     * ({@link Repository#writerAbandoned}); otherwise they are left to GC.
     */
    @Override
    public void close() throws IOException {
        if (!done) {
            done = true;
            try {
                repo.chunks().awaitCompressed(); // the caller may reuse the memory it handed to putAllOwned
                repo.writerAbandoned(this);
            } finally {
                lock.close();
            }
        }
    }
}
