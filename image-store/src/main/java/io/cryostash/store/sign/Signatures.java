// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.sign;

import io.cryostash.store.Hashing;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;

/** Ed25519 verification helpers. */
final class Signatures {
    private Signatures() {
    }

    static boolean verify(PublicKey key, byte[] data, byte[] sig) {
        return verify(key, data, 0, data.length, sig);
    }

    static boolean verify(PublicKey key, byte[] data, int off, int len, byte[] sig) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(data, off, len);
            return s.verify(sig);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    static PublicKey parsePublic(byte[] x509) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(x509));
    }

    static String keyId(byte[] x509) {
        return Hashing.hex(Hashing.sha256(x509)).substring(0, 16);
    }
}
