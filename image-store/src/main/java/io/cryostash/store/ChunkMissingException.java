// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import io.cryostash.schema.store.ChunkKey;

/** A chunk an image (or a caller) needs is in no index or its pack is gone. */
public class ChunkMissingException extends IntegrityException {
    private final ChunkKey chunkKey;
    private final String manifestId;

    /** @param manifestId the image that needs the chunk, or null when not known */
    public ChunkMissingException(ChunkKey chunkKey, String manifestId, String detail) {
        super("chunk " + chunkKey.hex() + (manifestId == null ? "" : " of image " + manifestId) + " is missing"
                + (detail == null ? "" : ": " + detail));
        this.chunkKey = chunkKey;
        this.manifestId = manifestId;
    }

    public ChunkKey chunkKey() {
        return chunkKey;
    }

    public String manifestId() {
        return manifestId;
    }
}
