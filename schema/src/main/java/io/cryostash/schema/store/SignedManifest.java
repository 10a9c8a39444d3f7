// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

import java.time.Instant;
import java.util.List;

/**
 * The envelope the store keeps for every image: the process-image manifest (opaque bytes to
 * the store), the chunks and chunk tables it references, who signed it and the signature.
 *
 * <p>The chunk and table lists are outside the payload so that the checker and garbage
 * collection can find every chunk an image needs without understanding process-image
 * manifests (only the store's own table format), and they are signed with the payload so
 * nobody can make GC drop chunks by editing them. The image id is the
 * SHA-256 of the encoded envelope, which is also the object's name.
 *
 * @param version   envelope format version
 * @param created   capture time
 * @param host      capturing host name
 * @param chunks    chunks the image names directly (files, small blobs), sorted, without duplicates
 * @param tables    chunk tables the image names (memory areas' chunk lists), sorted, without
 *                  duplicates; every chunk a table lists belongs to the image too
 * @param payload   the process-image manifest (JSON)
 * @param signerKey X.509 encoding of the signer's Ed25519 public key
 * @param signature Ed25519 signature of every encoded byte before the signer key
 */
public record SignedManifest(FormatVersion version, Instant created, String host, List<ChunkKey> chunks,
                             List<ChunkKey> tables, byte[] payload, byte[] signerKey, byte[] signature) {
    public SignedManifest {
        chunks = sortedUnique(chunks, "chunk");
        tables = sortedUnique(tables, "table");
    }

    private static List<ChunkKey> sortedUnique(List<ChunkKey> keys, String what) {
        List<ChunkKey> copy = List.copyOf(keys);
        for (int i = 1; i < copy.size(); i++) {
            if (copy.get(i - 1).compareTo(copy.get(i)) >= 0) {
                throw new IllegalArgumentException("manifest " + what + " list must be sorted without duplicates");
            }
        }
        return copy;
    }
}
