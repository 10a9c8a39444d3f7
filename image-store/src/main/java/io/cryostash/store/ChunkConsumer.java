// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import io.cryostash.schema.store.ChunkKey;

import java.io.IOException;

/**
 * Receives verified chunks (bytes already hashed against their key) as they are read. Readers
 * fetch in parallel, so implementations may be called from several threads at once.
 */
@FunctionalInterface
public interface ChunkConsumer {
    void accept(ChunkKey key, byte[] data) throws IOException;
}
