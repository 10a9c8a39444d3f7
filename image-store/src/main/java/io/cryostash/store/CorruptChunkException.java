// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import io.cryostash.schema.store.ChunkKey;

/** A chunk's bytes were found but fail their checksum, do not decompress, or hash to another key. */
public class CorruptChunkException extends IntegrityException {
    private final ChunkKey chunkKey;
    private final String packId;

    public CorruptChunkException(ChunkKey chunkKey, String packId, String reason) {
        super("chunk " + chunkKey.hex() + " in pack " + packId + " is corrupt: " + reason);
        this.chunkKey = chunkKey;
        this.packId = packId;
    }

    public ChunkKey chunkKey() {
        return chunkKey;
    }

    public String packId() {
        return packId;
    }
}
