// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import io.cryostash.schema.store.ChunkKey;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers: the one hash of the store (chunk keys, pack and index names, image ids). */
public final class Hashing {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Hashing::newSha256);

    private Hashing() {
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    public static byte[] sha256(byte[] data, int off, int len) {
        MessageDigest d = SHA256.get();
        d.reset();
        d.update(data, off, len);
        return d.digest();
    }

    public static byte[] sha256(byte[] data) {
        return sha256(data, 0, data.length);
    }

    /** Hash of the buffer's remaining bytes; the buffer's position is left unchanged. */
    public static ChunkKey key(ByteBuffer data) {
        MessageDigest d = SHA256.get();
        d.reset();
        d.update(data.duplicate());
        return ChunkKey.of(d.digest());
    }

    public static ChunkKey key(byte[] data) {
        return ChunkKey.of(sha256(data));
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
