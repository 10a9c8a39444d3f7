// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import io.cryostash.store.backend.Backend;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.pack.ChunkCodec;
import io.cryostash.store.pack.PackReader;
import io.cryostash.store.pack.PackWriter;
import io.cryostash.schema.store.ChunkKey;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
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
    private ByteArrayOutputStream currentBuffer;
    private final StoreStats stats;

    Packer(Backend backend, ChunkCodec codec, int targetPackSize, int threads, ExecutorService compressPool,
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
        this.packsInFlight = new Semaphore(threads + 1);
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
        int permits = Math.max(1, (data.length + 1023) >> 10);
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
                try {
                    byte[] frame = salted ? codec.compressSalted(data, 0, data.length) : codec.compress(data, 0, data.length);
                    bufferedKiB.release(permits);
                    append(key, frame, data.length);
                } catch (Throwable t) {
                    fail(t);
                    onLost.accept(List.of(key));
                } finally {
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

    private void append(ChunkKey key, byte[] frame, int length) throws IOException {
        PackWriter sealed = null;
        ByteArrayOutputStream sealedBuffer = null;
        synchronized (packLock) {
            if (current == null) {
                currentBuffer = new ByteArrayOutputStream(targetPackSize + (targetPackSize >> 3));
                current = new PackWriter(currentBuffer);
            }
            current.add(key, frame, length);
            stats.compressedBytes.addAndGet(frame.length);
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

    private void upload(PackWriter w, ByteArrayOutputStream buf) throws IOException {
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
                    byte[] bytes = buf.toByteArray();
                    backend.put(PackReader.objectName(f.id()), bytes);
                    stats.packsUploaded.incrementAndGet();
                    stats.packBytesUploaded.addAndGet(bytes.length);
                    onStored.accept(new PackSummary(f.id(), f.size(), f.entries()));
                } catch (Throwable t) {
                    fail(t);
                    onLost.accept(w.keys());
                } finally {
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
        waitFor(true);
        PackWriter w;
        ByteArrayOutputStream buf;
        synchronized (packLock) {
            w = current;
            buf = currentBuffer;
            current = null;
            currentBuffer = null;
        }
        if (w != null && w.count() > 0) {
            upload(w, buf);
        }
        waitFor(false);
        rethrow();
    }

    /**
     * Gives up what is queued: waits for compressions and uploads in flight to end, drops the
     * open pack (its chunks go to {@code onLost}) and forgets any failure. Packs uploaded
     * meanwhile are reported to {@code onStored} as usual, so the owner knows what to delete.
     */
    void discard() throws InterruptedIOException {
        waitFor(true);
        PackWriter w;
        synchronized (packLock) {
            w = current;
            current = null;
            currentBuffer = null;
        }
        if (w != null) {
            onLost.accept(w.keys());
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
