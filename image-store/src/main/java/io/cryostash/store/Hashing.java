// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import io.cryostash.schema.store.ChunkKey;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 helpers: the one hash of the store (chunk keys, pack and index names, image ids).
 * Chunks and other large inputs go to {@link NativeSha256} (libcrypto) when it is there.
 */
public final class Hashing {
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Hashing::newSha256);
    /** Below this a native call's overhead is not worth it (small objects, signatures). */
    private static final int NATIVE_FROM = 4096;

    private Hashing() {
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    /** SHA-256 over pieces given one after another (a pack's bytes): libcrypto's when present. */
    public interface Digest {
        void update(byte[] data, int off, int len);

        /** The remaining bytes of {@code data}; its position is left unchanged. */
        void update(ByteBuffer data);

        byte[] digest();
    }

    public static Digest newDigest() {
        if (NativeSha256.available()) {
            NativeSha256.Incremental n = new NativeSha256.Incremental();
            return new Digest() {
                @Override
                public void update(byte[] data, int off, int len) {
                    n.update(data, off, len);
                }

                @Override
                public void update(ByteBuffer data) {
                    n.update(data);
                }

                @Override
                public byte[] digest() {
                    return n.digest();
                }
            };
        }
        MessageDigest d = newSha256();
        return new Digest() {
            @Override
            public void update(byte[] data, int off, int len) {
                d.update(data, off, len);
            }

            @Override
            public void update(ByteBuffer data) {
                d.update(data.duplicate());
            }

            @Override
            public byte[] digest() {
                return d.digest();
            }
        };
    }

    public static byte[] sha256(byte[] data, int off, int len) {
        if (len > NATIVE_FROM && NativeSha256.available()) {
            // a slice is copied first: a copy costs a fraction of what the JDK's SHA-256 does before C2 compiles it
            return NativeSha256.digest(off == 0 ? data : java.util.Arrays.copyOfRange(data, off, off + len), len);
        }
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
        if (data.remaining() > NATIVE_FROM && NativeSha256.available()) {
            if (data.isDirect()) {
                return ChunkKey.of(NativeSha256.digest(data));
            }
            if (data.hasArray()) { // slices of a larger array too (incremental captures' chunks)
                return ChunkKey.of(sha256(data.array(), data.arrayOffset() + data.position(), data.remaining()));
            }
            byte[] copy = new byte[data.remaining()]; // a read-only heap view
            data.duplicate().get(copy);
            return ChunkKey.of(NativeSha256.digest(copy, copy.length));
        }
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
