// SPDX-License-Identifier: Apache-2.0
package io.cryostash.stack;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.MultipartPart;
import org.jclouds.blobstore.domain.MultipartUpload;
import org.jclouds.blobstore.domain.PageSet;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.CopyOptions;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.jclouds.blobstore.options.PutOptions;
import org.jclouds.io.Payload;
import org.jclouds.blobstore.util.ForwardingBlobStore;

/**
 * Makes a listing wait for the writes in progress in its bucket. S3Proxy's filesystem store
 * writes an object to {@code <name>-<uuid>} beside its final name and renames it once complete;
 * a listing that meets such a file meanwhile fails (500: the file has no checksum attribute yet)
 * or, a moment later, shows it as an object, which a store reader listing {@code index/} would
 * read half-written and call damaged. A real S3 lists an object only once its put completed, so
 * the embedded server must too. Writes share the bucket's lock, listings take it alone; the lock
 * is fair, so a stream of writes cannot starve a listing (nor the reverse).
 */
final class ListingsAfterPuts extends ForwardingBlobStore {
    private final Map<String, ReadWriteLock> buckets = new ConcurrentHashMap<>();

    ListingsAfterPuts(BlobStore delegate) {
        super(delegate);
    }

    @Override
    public String putBlob(String container, Blob blob) {
        return writing(container, () -> super.putBlob(container, blob));
    }

    @Override
    public String putBlob(String container, Blob blob, PutOptions options) {
        return writing(container, () -> super.putBlob(container, blob, options));
    }

    @Override
    public MultipartPart uploadMultipartPart(MultipartUpload mpu, int partNumber, Payload payload) {
        return writing(mpu.containerName(), () -> super.uploadMultipartPart(mpu, partNumber, payload));
    }

    @Override
    public String completeMultipartUpload(MultipartUpload mpu, List<MultipartPart> parts) {
        return writing(mpu.containerName(), () -> super.completeMultipartUpload(mpu, parts));
    }

    @Override
    public String copyBlob(String fromContainer, String fromName, String toContainer, String toName,
                           CopyOptions options) {
        return writing(toContainer, () -> super.copyBlob(fromContainer, fromName, toContainer, toName, options));
    }

    @Override
    public PageSet<? extends StorageMetadata> list(String container) {
        return list(container, ListContainerOptions.NONE);
    }

    @Override
    public PageSet<? extends StorageMetadata> list(String container, ListContainerOptions options) {
        ReadWriteLock lock = lock(container);
        lock.writeLock().lock();
        try {
            return super.list(container, options);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private <T> T writing(String container, Supplier<T> write) {
        ReadWriteLock lock = lock(container);
        lock.readLock().lock();
        try {
            return write.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    private ReadWriteLock lock(String container) {
        return buckets.computeIfAbsent(container, c -> new ReentrantReadWriteLock(true));
    }
}
