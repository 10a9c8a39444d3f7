// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

import io.cryostash.schema.store.ChunkKey;
import io.cryostash.store.Hashing;

/**
 * Keys hashed ahead of storing, by where their bytes are: the native address and length of a
 * direct buffer. A {@code --kill} capture hashes its copied memory while the spool is on the
 * disk (the CPU has nothing else to do then); the writer that stores the pages afterwards takes
 * a chunk's key from here when the chunk is exactly such a range, and hashes it otherwise.
 *
 * <p>Sound only while the bytes at those addresses stay as they were hashed: the capture's copy
 * of memory, which nothing writes between the freeze and the commit. One capture's keys, for one
 * writer.
 */
public final class KnownKeys {
    private record Known(int length, ChunkKey key) {
    }

    private final Map<Long, Known> byAddress = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong found = new java.util.concurrent.atomic.AtomicLong();

    /** Hashes every range (direct buffers; each one's remaining bytes) on the calling thread. */
    public void hash(List<ByteBuffer> ranges) {
        for (ByteBuffer b : ranges) {
            if (b.isDirect()) {
                byAddress.put(address(b), new Known(b.remaining(), Hashing.key(b)));
            }
        }
    }

    /** The key of {@code b}'s remaining bytes if hashed here, else null. */
    ChunkKey find(ByteBuffer b) {
        if (!b.isDirect()) {
            return null;
        }
        Known k = byAddress.get(address(b));
        if (k == null || k.length() != b.remaining()) {
            return null;
        }
        found.incrementAndGet();
        return k.key();
    }

    /** Ranges hashed. */
    public int size() {
        return byAddress.size();
    }

    /** Keys a writer took from here instead of hashing. */
    public long found() {
        return found.get();
    }

    private static long address(ByteBuffer b) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(b)) + b.position();
    }
}
