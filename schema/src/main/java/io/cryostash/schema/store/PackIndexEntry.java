// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

/**
 * One chunk inside a pack, as listed by the pack's own trailing index and by index objects.
 *
 * @param key                the chunk's key (SHA-256 of the uncompressed bytes)
 * @param offset             where the compressed bytes start inside the pack
 * @param compressedLength   length of the zstd frame in the pack
 * @param uncompressedLength length after decompression (known before reading, so a reader can
 *                           size its buffer and reject a frame that expands further)
 * @param crc32c             CRC32C of the compressed bytes: catches a damaged or truncated
 *                           range before it reaches the decompressor
 */
public record PackIndexEntry(ChunkKey key, long offset, int compressedLength, int uncompressedLength, int crc32c) {
    /** Bytes per entry in the binary encodings: key, offset (u32), three u32. */
    public static final int ENCODED_SIZE = ChunkKey.LENGTH + 4 * 4;

    public PackIndexEntry {
        if (key == null) {
            throw new IllegalArgumentException("key is null");
        }
        if (offset < 0 || offset > 0xffffffffL) {
            throw new IllegalArgumentException("offset out of range: " + offset);
        }
        if (compressedLength <= 0 || uncompressedLength < 0 || uncompressedLength > StoreFormat.MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("bad lengths for " + key.shortHex() + ": compressed "
                    + compressedLength + ", uncompressed " + uncompressedLength);
        }
    }

    /** Offset of the first byte after the compressed bytes. */
    public long end() {
        return offset + compressedLength;
    }
}
