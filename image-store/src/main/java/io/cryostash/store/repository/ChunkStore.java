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
    private final Packer packer;
    private final StoreStats stats = new StoreStats();
    private final Map<ChunkKey, Boolean> pending = new ConcurrentHashMap<>();
    private final Object indexLock = new Object();
    private volatile ChunkIndex index;
    private final Set<String> loadedIndexObjects = ConcurrentHashMap.newKeySet();
    private final List<PackSummary> unindexed = new ArrayList<>();

    private ChunkStore(Backend backend, Options options) {
        this.backend = backend;
        int threads = Math.max(1, options.threads());
        this.pool = Executors.newFixedThreadPool(threads, daemon("cryostash-chunk"));
        this.uploads = Executors.newFixedThreadPool(Math.max(2, threads), daemon("cryostash-upload"));
        this.packer = new Packer(backend, new ChunkCodec(options.compressionLevel()), options.packSize(), threads,
                pool, uploads, this::packStored, this::chunksLost, stats);
    }

    /** Opens a store, loading every index object. */
    public static ChunkStore open(Backend backend, Options options) throws IOException {
        ChunkStore s = new ChunkStore(backend, options);
        try {
            IndexFiles.Loaded l = IndexFiles.loadAll(backend, s.pool);
            s.index = l.index();
            s.loadedIndexObjects.addAll(l.objectNames());
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
        ChunkKey[] keys = IntStream.range(0, chunks.size()).parallel()
                .mapToObj(i -> Hashing.key(chunks.get(i))).toArray(ChunkKey[]::new);
        List<ChunkKey> newKeys = new ArrayList<>(keys.length);
        List<ByteBuffer> newData = new ArrayList<>(keys.length);
        for (int i = 0; i < keys.length; i++) {
            ByteBuffer b = chunks.get(i);
            if (claim(keys[i], b.remaining())) {
                newKeys.add(keys[i]);
                newData.add(b.duplicate());
            }
        }
        if (!newKeys.isEmpty()) {
            try {
                packer.addAll(newKeys, newData);
            } catch (IOException | RuntimeException e) {
                newKeys.forEach(pending::remove);
                throw e;
            }
        }
        return List.of(keys);
    }

    private ChunkKey putHashed(ChunkKey key, ByteBuffer data) throws IOException {
        int len = data.remaining();
        if (!claim(key, len)) {
            return key;
        }
        byte[] copy = new byte[len];
        data.duplicate().get(copy);
        packer.add(key, copy);
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
     * Makes every chunk put so far durable: uploads the open pack, waits for all uploads and
     * writes one index object for the packs written since the last flush.
     */
    public void flush() throws IOException {
        packer.flush();
        List<PackSummary> toWrite;
        synchronized (indexLock) {
            toWrite = new ArrayList<>(unindexed);
        }
        if (!toWrite.isEmpty()) {
            String name = IndexFiles.write(backend, toWrite);
            stats.indexObjectsWritten.incrementAndGet();
            synchronized (indexLock) {
                unindexed.removeAll(toWrite);
                loadedIndexObjects.add(name);
            }
        }
    }

    /**
     * Picks up index objects written by other processes since open (one LIST; reads only new
     * objects). When an object this store had loaded is gone — garbage collection replaced
     * it — the whole index is reloaded, so chunks GC removed are no longer taken as stored.
     * Call between captures, not during one.
     */
    public void refreshIndex() throws IOException {
        List<ObjectInfo> now = backend.list(StoreFormat.INDEX);
        Set<String> names = new HashSet<>();
        for (ObjectInfo o : now) {
            names.add(o.name());
        }
        if (!names.containsAll(loadedIndexObjects)) {
            IndexFiles.Loaded l = IndexFiles.loadAll(backend, pool);
            synchronized (indexLock) {
                unindexed.forEach(l.index()::addPack);
                index = l.index();
                loadedIndexObjects.clear();
                loadedIndexObjects.addAll(l.objectNames());
            }
            return;
        }
        for (String n : names) {
            if (!loadedIndexObjects.contains(n)) {
                List<PackSummary> packs;
                try {
                    packs = IndexFiles.decode(n, backend.get(n));
                } catch (io.cryostash.store.backend.ObjectNotFoundException e) {
                    continue;
                }
                synchronized (indexLock) {
                    packs.forEach(index::addPack);
                    loadedIndexObjects.add(n);
                }
            }
        }
    }

    /** Whether the chunk is stored (in the index; chunks still being uploaded do not count). */
    public boolean has(ChunkKey key) {
        return index.has(key);
    }

    /** The keys not stored, in the order given: one hash lookup each, no I/O. */
    public Set<ChunkKey> missing(Collection<ChunkKey> keys) {
        return index.missing(keys);
    }

    /** Reads one chunk, checked against its key. */
    public byte[] get(ChunkKey key) throws IOException {
        ChunkIndex.Location loc = index.lookup(key)
                .orElseThrow(() -> new ChunkMissingException(key, null, "not in the index"));
        byte[] data;
        try {
            data = PackReader.readChunk(backend, loc.packId(), loc.entry());
        } catch (CorruptChunkException e) {
            // a damaged transfer looks the same as damaged storage: read once more before deciding
            data = PackReader.readChunk(backend, loc.packId(), loc.entry());
        } catch (io.cryostash.store.backend.ObjectNotFoundException e) {
            throw new ChunkMissingException(key, null, "pack " + loc.packId() + " is gone");
        }
        stats.chunksRead.incrementAndGet();
        stats.bytesRead.addAndGet(data.length);
        return data;
    }

    /**
     * Reads many chunks, one ranged read per pack and decoding on every core, handing each
     * distinct key once to {@code sink} (possibly concurrently). Every key is looked up before
     * any byte is read: a missing chunk fails the call before the sink sees anything.
     */
    public void readChunks(Collection<ChunkKey> keys, ChunkConsumer sink) throws IOException {
        Map<String, List<PackIndexEntry>> byPack = new LinkedHashMap<>();
        for (ChunkKey k : new LinkedHashSet<>(keys)) {
            ChunkIndex.Location loc = index.lookup(k)
                    .orElseThrow(() -> new ChunkMissingException(k, null, "not in the index"));
            byPack.computeIfAbsent(loc.packId(), p -> new ArrayList<>()).add(loc.entry());
        }
        List<Future<?>> fs = new ArrayList<>();
        for (Map.Entry<String, List<PackIndexEntry>> e : byPack.entrySet()) {
            fs.add(pool.submit(() -> {
                readFromPack(e.getKey(), e.getValue(), sink);
                return null;
            }));
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

    private void readFromPack(String packId, List<PackIndexEntry> entries, ChunkConsumer sink) throws IOException {
        long from = Long.MAX_VALUE;
        long to = 0;
        for (PackIndexEntry e : entries) {
            from = Math.min(from, e.offset());
            to = Math.max(to, e.end());
        }
        byte[] span;
        try {
            span = backend.getRange(PackReader.objectName(packId), from, (int) (to - from));
        } catch (io.cryostash.store.backend.ObjectNotFoundException ex) {
            throw new ChunkMissingException(entries.get(0).key(), null, "pack " + packId + " is gone");
        }
        for (PackIndexEntry e : entries) {
            byte[] data;
            try {
                data = decodeFromSpan(packId, span, from, e);
            } catch (CorruptChunkException ex) {
                data = PackReader.readChunk(backend, packId, e); // once more, alone, before giving up
            }
            stats.chunksRead.incrementAndGet();
            stats.bytesRead.addAndGet(data.length);
            sink.accept(e.key(), data);
        }
    }

    private static byte[] decodeFromSpan(String packId, byte[] span, long spanStart, PackIndexEntry e) throws IOException {
        long rel = e.offset() - spanStart;
        if (rel + e.compressedLength() > span.length) {
            throw new CorruptChunkException(e.key(), packId, "pack is shorter than its index says");
        }
        PackIndexEntry shifted = new PackIndexEntry(e.key(), rel, e.compressedLength(), e.uncompressedLength(), e.crc32c());
        return PackReader.readChunk(packId, span, shifted);
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
    }
}
