// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import java.io.IOException;
import java.nio.ByteBuffer;

import io.cryostash.schema.store.ChunkKey;

/**
 * Receives verified chunks as {@link ChunkConsumer} does, each in a buffer that is valid only
 * during the call (the reading thread's own memory, used again for its next chunk): a restore
 * writes it where it belongs without an array per chunk. Called from several threads at once.
 */
@FunctionalInterface
public interface ChunkBufferConsumer {
    void accept(ChunkKey key, ByteBuffer data) throws IOException;
}
