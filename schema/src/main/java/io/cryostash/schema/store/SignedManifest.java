package io.cryostash.schema.store;

import java.time.Instant;
import java.util.List;

/**
 * The envelope the store keeps for every image: the process-image manifest (opaque bytes to
 * the store), the sorted set of chunk keys it references, who signed it and the signature.
 *
 * <p>The chunk list is outside the payload so that the checker and garbage collection can
 * find every chunk an image needs without understanding process-image manifests, and it is
 * signed with the payload so nobody can make GC drop chunks by editing it. The image id is the
 * SHA-256 of the encoded envelope, which is also the object's name.
 *
 * @param version   envelope format version
 * @param created   capture time
 * @param host      capturing host name
 * @param chunks    every chunk the image references, sorted, without duplicates
 * @param payload   the process-image manifest (JSON)
 * @param signerKey X.509 encoding of the signer's Ed25519 public key
 * @param signature Ed25519 signature of every encoded byte before the signer key
 */
public record SignedManifest(FormatVersion version, Instant created, String host, List<ChunkKey> chunks,
                             byte[] payload, byte[] signerKey, byte[] signature) {
    public SignedManifest {
        chunks = List.copyOf(chunks);
        for (int i = 1; i < chunks.size(); i++) {
            if (chunks.get(i - 1).compareTo(chunks.get(i)) >= 0) {
                throw new IllegalArgumentException("manifest chunk list must be sorted without duplicates");
            }
        }
    }
}
