// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import io.cryostash.schema.store.ChunkKey;

/** A chunk table whose bytes are intact (they hash to its key) but do not parse as a table. */
public class InvalidTableException extends IntegrityException {
    private final ChunkKey tableKey;

    public InvalidTableException(ChunkKey tableKey, String reason) {
        super("chunk table " + tableKey.hex() + " is malformed: " + reason);
        this.tableKey = tableKey;
    }

    public ChunkKey tableKey() {
        return tableKey;
    }
}
