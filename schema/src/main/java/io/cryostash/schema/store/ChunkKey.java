// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The name of a chunk: the SHA-256 of its uncompressed bytes.
 *
 * <p>A class rather than a record over {@code byte[]} because the index holds one per stored
 * chunk and needs value equality, a cheap hash code and an order (index objects and manifests
 * list keys sorted, so that equal sets encode to equal bytes). Immutable; JSON form is the
 * 64-character lower-case hex string.
 */
public final class ChunkKey implements Comparable<ChunkKey> {
    /** Length of a key in bytes (SHA-256). */
    public static final int LENGTH = 32;
    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hash;

    private ChunkKey(byte[] bytes) {
        this.bytes = bytes;
        // SHA-256 output is uniformly distributed: its first four bytes are a good hash code.
        this.hash = ((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
    }

    /** Wraps a copy of a 32-byte digest. */
    public static ChunkKey of(byte[] digest) {
        if (digest.length != LENGTH) {
            throw new IllegalArgumentException("chunk key must be " + LENGTH + " bytes, got " + digest.length);
        }
        return new ChunkKey(digest.clone());
    }

    /** Reads 32 bytes from the buffer's position (advancing it). */
    public static ChunkKey read(ByteBuffer buf) {
        byte[] b = new byte[LENGTH];
        buf.get(b);
        return new ChunkKey(b);
    }

    /** Parses the 64-character hex form; rejects anything else. */
    @JsonCreator
    public static ChunkKey parse(String hex) {
        if (hex == null || hex.length() != LENGTH * 2) {
            throw new IllegalArgumentException("chunk key must be " + (LENGTH * 2) + " hex characters: " + hex);
        }
        return new ChunkKey(HEX.parseHex(hex));
    }

    /** Writes the 32 bytes at the buffer's position. */
    public void write(ByteBuffer buf) {
        buf.put(bytes);
    }

    /** A copy of the 32 bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** Whether {@code digest} (32 bytes) equals this key. */
    public boolean matches(byte[] digest) {
        return Arrays.equals(bytes, digest);
    }

    @JsonValue
    public String hex() {
        return HEX.formatHex(bytes);
    }

    /** First 12 hex characters, for log lines. */
    public String shortHex() {
        return hex().substring(0, 12);
    }

    @Override
    public int compareTo(ChunkKey o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return hex();
    }
}
