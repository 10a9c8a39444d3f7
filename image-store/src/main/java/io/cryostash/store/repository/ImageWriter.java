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
    private final StoreStats.Snapshot statsAtStart;
    private volatile boolean done;

    ImageWriter(Repository repo, StoreLock lock) {
        this.repo = repo;
        this.lock = lock;
        this.statsAtStart = repo.chunks().stats();
    }

    /** Stores one chunk (e.g. registers, a small blob) and records it. */
    public ChunkKey put(ByteBuffer data) throws IOException {
        checkOpen();
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
        List<ChunkKey> ks = repo.chunks().putAll(chunks);
        keys.addAll(ks);
        return ks;
    }

    /**
     * Stores many chunks without copying them: their bytes must stay unchanged until
     * {@link #commit} (see {@link ChunkStore#putAllOwned}).
     */
    public List<ChunkKey> putAllOwned(List<ByteBuffer> chunks) throws IOException {
        checkOpen();
        List<ChunkKey> ks = repo.chunks().putAllOwned(chunks);
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
        repo.chunks().flush();
        for (ChunkKey k : repo.chunks().missing(keys)) {
            throw new ChunkMissingException(k, null, "named by the image being written but not stored");
        }
        for (ChunkKey k : repo.chunks().missing(tables)) {
            throw new ChunkMissingException(k, null, "chunk table of the image being written not stored");
        }
        if (!keys.containsAll(namedByTables)) {
            throw new IllegalStateException("a chunk table names chunks that were neither put nor reused through this writer");
        }
        Set<ChunkKey> direct = new java.util.HashSet<>(keys);
        direct.removeAll(namedByTables);
        byte[] encoded = ManifestCodec.sign(repo.hostKeys(), Instant.now(), repo.hostName(), direct, tables, manifest);
        String id = ManifestCodec.imageId(encoded);
        repo.chunks().backend().put(StoreFormat.MANIFESTS + id, encoded);
        done = true;
        repo.writerClosed(this);
        lock.close();
        return id;
    }

    StoreLock lock() {
        return lock;
    }

    private void checkOpen() {
        if (done) {
            throw new IllegalStateException("image writer already committed or closed");
        }
    }

    /** Abandons the image if not committed: nothing becomes visible; its packs are left to GC. */
    @Override
    public void close() throws IOException {
        if (!done) {
            done = true;
            repo.chunks().awaitCompressed(); // the caller may reuse the memory it handed to putAllOwned
            repo.writerClosed(this);
            lock.close();
        }
    }
}
