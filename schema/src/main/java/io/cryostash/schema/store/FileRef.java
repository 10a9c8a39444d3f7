// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

import java.util.List;

/**
 * A whole file (an executable or a library) stored by content: its SHA-256 and the chunks
 * holding its bytes in order.
 *
 * <p>The file hash lets a restoring host map its own copy when the hashes match, without
 * fetching anything; the chunk list is what it fetches otherwise. Two images of any hosts that
 * use the same library reference the same chunks, so the library is stored once.
 *
 * @param sha256 hex SHA-256 of the whole file
 * @param size   file size in bytes
 * @param chunks chunk keys in file order; every chunk but the last is {@code pieceSize} long
 * @param pieceSize bytes per piece used when cutting the file
 */
public record FileRef(String sha256, long size, int pieceSize, List<ChunkKey> chunks) {
    public FileRef {
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("file hash must be 64 lower-case hex characters: " + sha256);
        }
        if (size < 0 || pieceSize <= 0 || pieceSize > StoreFormat.MAX_CHUNK_SIZE) {
            throw new IllegalArgumentException("bad size " + size + " or piece size " + pieceSize);
        }
        chunks = List.copyOf(chunks);
        long expected = (size + pieceSize - 1) / pieceSize;
        if (chunks.size() != expected) {
            throw new IllegalArgumentException("file of " + size + " bytes in pieces of " + pieceSize + " needs "
                    + expected + " chunks, not " + chunks.size());
        }
    }
}
