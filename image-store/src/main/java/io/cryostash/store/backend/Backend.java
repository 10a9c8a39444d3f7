// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where the store's objects live: a flat namespace of immutable objects named by
 * slash-separated paths ({@code packs/ab12…}).
 *
 * <p>Deliberately smaller than a file system or the S3 API: objects are written whole and never
 * modified (the store names almost everything by content hash), so there is no append, rename
 * or partial write, and a {@link #put} is atomic — a reader sees the whole object or none. That
 * is all the repository needs, and what both a directory and S3 can promise. Implementations
 * are thread-safe. Missing objects raise {@link ObjectNotFoundException}; failures that may go
 * away on retry raise {@link TransientBackendException} (see {@link RetryingBackend}).
 */
public interface Backend extends AutoCloseable {

    /** Stores {@code data} under {@code name}, replacing any object of that name, atomically. */
    void put(String name, byte[] data) throws IOException;

    /**
     * Stores {@code data}'s remaining bytes like {@link #put}, but durable only once {@link #sync}
     * returns: for many objects written together whose durability a later object depends on (a
     * capture's packs, before the index object naming them). Until then a crash may leave the
     * object missing or torn under its name; nothing may name it before the sync. The default
     * is an ordinary put.
     */
    default void putDeferred(String name, java.nio.ByteBuffer data) throws IOException {
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        put(name, bytes);
    }

    /** Makes every object stored with {@link #putDeferred} so far durable. The default has nothing to do. */
    default void sync() throws IOException {
    }

    /** The whole object. */
    byte[] get(String name) throws IOException;

    /**
     * {@code length} bytes starting at {@code offset}. Fewer bytes only when the object is
     * shorter (callers that know the object's layout treat that as damage).
     */
    byte[] getRange(String name, long offset, int length) throws IOException;

    /**
     * The same bytes as {@link #getRange}, handed to {@code reader} in a buffer that is valid only
     * during the call: a back end may read into memory of its own (the directory store's aligned
     * buffers for O_DIRECT) and spare the copy into a new array.
     */
    default void readRange(String name, long offset, int length, RangeReader reader) throws IOException {
        reader.read(java.nio.ByteBuffer.wrap(getRange(name, offset, length)));
    }

    /** Reads the bytes of a ranged read while they are there. */
    @FunctionalInterface
    interface RangeReader {
        void read(java.nio.ByteBuffer range) throws IOException;
    }

    /** Objects whose names start with {@code prefix}, sorted by name. */
    List<ObjectInfo> list(String prefix) throws IOException;

    /** Deletes the object; deleting a missing object is not an error. */
    void delete(String name) throws IOException;

    /** Size and modification time, or empty when there is no such object. */
    Optional<ObjectInfo> stat(String name) throws IOException;

    default boolean exists(String name) throws IOException {
        return stat(name).isPresent();
    }

    /** Human-readable location, for messages ({@code /var/lib/cryostash/store}, {@code s3://b/p}). */
    String location();

    @Override
    default void close() throws IOException {
    }
}
