// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.Backend;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.pack.ChunkCodec;
import io.cryostash.store.pack.PackBuffer;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.pack.PackWriter;
import io.cryostash.schema.store.ChunkKey;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The write pipeline: compress chunks on a pool, append them to the open pack, and upload
 * every pack that reaches its target size on another pool, telling the owner about each pack
 * once it is stored. Used by {@link ChunkStore} for new chunks and by garbage collection to
 * repack live ones.
 *
 * <p>Memory is bounded twice: uncompressed bytes waiting for compression (callers of
 * {@link #add} block when the limit is reached) and sealed packs waiting for upload. The
 * chunks of a lost pack (after the back end's own retries) are handed to {@code onLost} so the
 * owner stops believing they are being stored, and the failure is reported by the next
 * {@link #flush} — once: the packer is usable again afterwards, so one capture failing while S3
 * is away does not break an agent for good.
 *
 * <p>Chunks come in batches ({@link #addAll}: one pool task per batch, not per 64 KiB chunk),
 * are compressed straight from the caller's buffers into a per-thread frame buffer, appended
 * to a {@link PackBuffer} that is reused once its pack is uploaded, and packs go to the back end
 * with {@link Backend#putDeferred}; {@link #flush} syncs them all before it returns.
 */
final class Packer {
    private final Backend backend;
    private final ChunkCodec codec;
    private final int targetPackSize;
    private final ExecutorService compressPool;
    private final ExecutorService uploadPool;
    private final Consumer<PackSummary> onStored;
    private final Consumer<List<ChunkKey>> onLost;
    private final Semaphore bufferedKiB;
    private final Semaphore packsInFlight;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Object packLock = new Object();
    private final Object idle = new Object();
    private int compressing;
    private int uploading;
    private PackWriter current;
    private PackBuffer currentBuffer;
    private final ConcurrentLinkedQueue<PackBuffer> freeBuffers = new ConcurrentLinkedQueue<>();
    private final StoreStats stats;

    Packer(Backend backend, ChunkCodec codec, int targetPackSize, int threads, int uploaders, ExecutorService compressPool,
           ExecutorService uploadPool, Consumer<PackSummary> onStored, Consumer<List<ChunkKey>> onLost,
           StoreStats stats) {
        this.onLost = onLost;
        this.backend = backend;
        this.codec = codec;
        this.targetPackSize = targetPackSize;
        this.compressPool = compressPool;
        this.uploadPool = uploadPool;
        this.onStored = onStored;
        this.stats = stats;
        long maxBuffered = Math.max(64L << 20, 2L * threads * targetPackSize);
        this.bufferedKiB = new Semaphore((int) (maxBuffered >> 10));
        this.packsInFlight = new Semaphore(Math.max(threads, uploaders) + 1);
    }

    /** Queues one chunk; {@code data} is owned by the packer from now on. */
    void add(ChunkKey key, byte[] data) throws IOException {
        add(key, data, false);
    }

    /**
     * Queues one chunk; {@code salted}: store it with a random skippable frame first
     * ({@link ChunkCodec#compressSalted}), so that its pack cannot be byte for byte a condemned one.
     */
    void add(ChunkKey key, byte[] data, boolean salted) throws IOException {
        addAll(List.of(key), List.of(ByteBuffer.wrap(data)), salted);
    }

    /** As {@link #addAll(List, List, boolean)}, unsalted. */
    void addAll(List<ChunkKey> keys, List<ByteBuffer> data) throws IOException {
        addAll(keys, data, false);
    }

    /**
     * Queues chunks for compression as one task; each buffer's remaining bytes must stay
     * unchanged until this packer has compressed them (by the next {@link #flush} at the latest).
     * {@code salted}: see {@link #add(ChunkKey, byte[], boolean)}.
     */
    void addAll(List<ChunkKey> keys, List<ByteBuffer> data, boolean salted) throws IOException {
        long bytes = 0;
        for (ByteBuffer b : data) {
            bytes += b.remaining();
        }
        int permits = (int) Math.max(1, (bytes + 1023) >> 10);
        try {
            bufferedKiB.acquire(permits);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("waiting for compression buffers");
        }
        synchronized (idle) {
            compressing++;
        }
        try {
            compressPool.execute(() -> {
                int done = 0;
                try {
                    for (; done < keys.size(); done++) {
                        ByteBuffer src = data.get(done);
                        ByteBuffer frame = salted ? codec.compressSalted(src) : codec.compress(src);
                        append(keys.get(done), frame, src.remaining());
                    }
                } catch (Throwable t) {
                    fail(t);
                    onLost.accept(List.copyOf(keys.subList(done, keys.size())));
                } finally {
                    bufferedKiB.release(permits);
                    synchronized (idle) {
                        compressing--;
                        idle.notifyAll();
                    }
                }
            });
        } catch (RuntimeException e) {
            synchronized (idle) {
                compressing--;
            }
            bufferedKiB.release(permits);
            throw e;
        }
    }

    private void append(ChunkKey key, ByteBuffer frame, int length) throws IOException {
        PackWriter sealed = null;
        PackBuffer sealedBuffer = null;
        synchronized (packLock) {
            if (current == null) {
                PackBuffer b = freeBuffers.poll();
                currentBuffer = b != null ? b : new PackBuffer(targetPackSize + (targetPackSize >> 3));
                current = new PackWriter(currentBuffer);
                // Every pack begins with a random salt, so no two writers ever make the same pack.
                // Packs are named by their content: two hosts storing the same new chunks at once
                // (replicas checkpointed on one schedule) would otherwise write one object under one
                // name, and the capture that then failed would delete, as its own unindexed pack
                // (ChunkStore.discardUnindexed), the pack the other had indexed for its image.
                frame = ChunkCodec.salted(frame);
            }
            stats.compressedBytes.addAndGet(frame.remaining());
            current.add(key, frame, length);
            if (current.size() >= targetPackSize) {
                sealed = current;
                sealedBuffer = currentBuffer;
                current = null;
                currentBuffer = null;
            }
        }
        if (sealed != null) {
            upload(sealed, sealedBuffer);
        }
    }

    private void upload(PackWriter w, PackBuffer buf) throws IOException {
        try {
            packsInFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("waiting for an upload slot");
        }
        synchronized (idle) {
            uploading++;
        }
        try {
            uploadPool.execute(() -> {
                try {
                    PackWriter.Finished f = w.finish();
                    backend.putDeferred(PackReader.objectName(f.id()), buf.contents());
                    stats.packsUploaded.incrementAndGet();
                    stats.packBytesUploaded.addAndGet(buf.size());
                    onStored.accept(new PackSummary(f.id(), f.size(), f.entries()));
                } catch (Throwable t) {
                    fail(t);
                    onLost.accept(w.keys());
                } finally {
                    buf.reset();
                    freeBuffers.add(buf);
                    packsInFlight.release();
                    synchronized (idle) {
                        uploading--;
                        idle.notifyAll();
                    }
                }
            });
        } catch (RuntimeException e) {
            packsInFlight.release();
            synchronized (idle) {
                uploading--;
            }
            throw e;
        }
    }

    /**
     * Compresses and uploads everything queued so far; returns when it is all stored, or throws
     * the first failure since the last flush.
     */
    void flush() throws IOException {
        sealOpen();
        waitFor(false);
        rethrow();
        backend.sync(); // every pack durable before the caller names them (index object, manifest)
    }

    /**
     * Compresses everything queued so far and sends the open pack to upload, without waiting for
     * any upload: what comes next goes into a new pack, and {@link #flush} waits for them all.
     */
    void sealOpen() throws IOException {
        waitFor(true);
        PackWriter w;
        PackBuffer buf;
        synchronized (packLock) {
            w = current;
            buf = currentBuffer;
            current = null;
            currentBuffer = null;
        }
        if (w != null && w.count() > 0) {
            upload(w, buf);
        }
    }

    /** Returns once no queued chunk is still being compressed (no caller buffer is read any more). */
    void awaitCompressed() throws InterruptedIOException {
        waitFor(true);
    }

    /**
     * Gives up what is queued: waits for compressions and uploads in flight to end, drops the
     * open pack (its chunks go to {@code onLost}) and forgets any failure. Packs uploaded
     * meanwhile are reported to {@code onStored} as usual, so the owner knows what to delete.
     */
    void discard() throws InterruptedIOException {
        waitFor(true);
        PackWriter w;
        PackBuffer buf;
        synchronized (packLock) {
            w = current;
            buf = currentBuffer;
            current = null;
            currentBuffer = null;
        }
        if (w != null) {
            onLost.accept(w.keys());
        }
        if (buf != null) {
            buf.reset();
            freeBuffers.add(buf);
        }
        waitFor(false);
        failure.set(null);
    }

    private void waitFor(boolean compressionOnly) throws InterruptedIOException {
        synchronized (idle) {
            while (compressing > 0 || (!compressionOnly && uploading > 0)) {
                try {
                    idle.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("waiting for uploads");
                }
            }
        }
    }

    private void fail(Throwable t) {
        failure.compareAndSet(null, t);
    }

    private void rethrow() throws IOException {
        Throwable t = failure.getAndSet(null);
        if (t == null) {
            return;
        }
        if (t instanceof IOException io) {
            throw new IOException("storing chunks failed: " + io.getMessage(), io);
        }
        throw new IOException("storing chunks failed: " + t, t);
    }
}
