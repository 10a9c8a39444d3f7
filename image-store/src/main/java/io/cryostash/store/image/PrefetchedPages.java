// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import io.cryostash.store.ChunkBufferConsumer;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.ChunkKey;

/**
 * An image's pages from the chunk store, fetched ahead: as soon as it is made, every chunk of the
 * image's areas (up to {@link #BUDGET} bytes of them, in area order) is read in one go on the
 * store's pool — each pack's chunks in ranged reads of a couple of MiB, all packs at once — while
 * restore spawns and prepares the husk. An area then waits only for its own chunks, and areas are
 * no longer read one after the other, a round trip each. Every chunk is checked against its key
 * by the store as it arrives (CRC, length, SHA-256), exactly as without prefetch; a chunk that
 * fails is reported by the first {@link #forEachRun} that needs it (or a later one). Chunks past
 * the budget are read when their area is written. Each chunk's bytes are dropped once the last
 * area naming it has had them.
 */
final class PrefetchedPages implements PageSource {
    /**
     * Decompressed bytes held ahead at most: a 1 GiB image's first quarter, a 64 MiB image entirely;
     * never more than an eighth of the heap.
     */
    static final long BUDGET = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8);

    private final ChunkStore chunks;
    private final Map<ChunkKey, CompletableFuture<byte[]>> ahead = new ConcurrentHashMap<>();
    /** Each prefetched chunk's place in the fetch order, which is about the order they arrive in. */
    private final Map<ChunkKey, Integer> rank = new java.util.HashMap<>();
    /** How many more times (area chunk lists and patch lists) each prefetched chunk will be asked for. */
    private final Map<ChunkKey, AtomicInteger> uses = new ConcurrentHashMap<>();
    private final Thread fetcher;
    private volatile boolean closed;

    PrefetchedPages(ChunkStore chunks, ProcessImage image) {
        this.chunks = chunks;
        Set<ChunkKey> keys = new LinkedHashSet<>();
        long bytes = 0;
        for (MemoryArea a : image.areas()) {
            AreaChunks c = a.content();
            if (c == null || !wanted(a)) {
                continue;
            }
            long size = (long) (c.chunks().size() + c.patches().size()) * c.chunkPages() * c.pageSize();
            if (bytes + size > BUDGET && bytes > 0) {
                break;
            }
            bytes += size;
            countUses(c.chunks(), keys);
            countUses(c.patches(), keys);
        }
        keys.forEach(k -> ahead.put(k, new CompletableFuture<>()));
        List<ChunkKey> order = new ArrayList<>(keys);
        for (int i = 0; i < order.size(); i++) {
            rank.put(order.get(i), i);
        }
        fetcher = new Thread(() -> fetch(order), "cryostash-prefetch");
        fetcher.setDaemon(true);
        fetcher.start();
    }

    /** Areas restore writes from the store (not the vDSO and its data pages, not SysV attachments). */
    private static boolean wanted(MemoryArea a) {
        return a.kind() != MemoryArea.Kind.VDSO && a.kind() != MemoryArea.Kind.VVAR && a.kind() != MemoryArea.Kind.SYSV_SHM;
    }

    private void countUses(List<AreaChunk> list, Set<ChunkKey> keys) {
        Set<ChunkKey> distinct = new LinkedHashSet<>();
        list.forEach(c -> distinct.add(c.key()));
        for (ChunkKey k : distinct) {
            uses.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
            keys.add(k);
        }
    }

    private void fetch(List<ChunkKey> order) {
        try {
            chunks.readChunks(order, (k, data) -> {
                CompletableFuture<byte[]> f = ahead.get(k);
                if (f != null && !closed) {
                    f.complete(data);
                }
            });
            // readChunks hands every key over or throws; a key never completed would be a bug, not a hang
            IOException none = new IOException("the store's read returned without these chunks");
            ahead.values().forEach(f -> f.completeExceptionally(none));
        } catch (IOException | RuntimeException e) {
            ahead.values().forEach(f -> f.completeExceptionally(e));
        }
    }

    @Override
    public void forEachRun(MemoryArea area, RunSink sink) {
        StorePages.forEachRun(area, sink, this::read);
    }

    /** Prefetched chunks as they come in; the rest from the store now. */
    private void read(Collection<ChunkKey> keys, ChunkBufferConsumer sink) throws IOException {
        List<ChunkKey> later = new ArrayList<>();
        // waited for in the order they were asked of the store, so each wait is for the next to
        // arrive: in the caller's order (a hash set's, for an area) every chunk waited for a
        // random one, and an area's writes started only when nearly all of it was in
        List<ChunkKey> inOrder = new ArrayList<>(keys);
        inOrder.sort(java.util.Comparator.comparingInt(k -> rank.getOrDefault(k, Integer.MAX_VALUE)));
        for (ChunkKey k : inOrder) {
            CompletableFuture<byte[]> f = ahead.get(k);
            if (f == null) {
                later.add(k);
                continue;
            }
            byte[] data;
            try {
                data = f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("waiting for chunk " + k.hex());
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException(e.getCause());
            }
            AtomicInteger left = uses.get(k);
            if (left != null && left.decrementAndGet() == 0) {
                ahead.remove(k);
            }
            sink.accept(k, ByteBuffer.wrap(data));
        }
        if (!later.isEmpty()) {
            chunks.readChunkBuffers(later, sink);
        }
    }

    /** Stops fetching (a restore that failed early) and drops what was fetched. */
    @Override
    public void close() {
        closed = true;
        fetcher.interrupt();
        ahead.clear();
    }
}
