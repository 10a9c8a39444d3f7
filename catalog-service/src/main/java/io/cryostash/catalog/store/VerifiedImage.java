// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.store;

import java.util.Map;

import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.SignedManifest;
import io.cryostash.store.index.ChunkIndex;

/**
 * An image read from the store and verified: its envelope's signature with the capturing host's
 * enrolled key, its content against its id, its chunk tables against their keys, the process-image
 * manifest by the codec's checks, and every chunk it names (directly, as a table, or through a table)
 * found in the store's index, with where it is.
 *
 * @param chunks every chunk the image names, each once, with its pack and sizes
 */
public record VerifiedImage(String id, SignedManifest envelope, ProcessImage image, Map<ChunkKey, ChunkIndex.Location> chunks) {
}
