// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pack;

import java.time.Instant;

/**
 * A pack object of the store as the catalog knows it.
 *
 * @param key       the pack's key in the store (as agents name it in {@code ChunkRef.pack})
 * @param sizeBytes how far into the pack the catalog's chunks reach (largest offset + stored size):
 *                  a lower bound of the object's size, since agents do not report the pack itself
 * @param liveBytes stored bytes of the pack's chunks that a live (uploading or complete) image names;
 *                  {@code sizeBytes - liveBytes} is what garbage collection could win back
 */
public record Pack(String key, long sizeBytes, long liveBytes, Instant createdAt) {
}
