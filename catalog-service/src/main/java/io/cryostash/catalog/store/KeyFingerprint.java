// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How a host's signing key is shown: the first 16 hex digits of the SHA-256 of its X.509 encoding,
 * the same id the store prints for a manifest's signer and an agent for its own key.
 */
public final class KeyFingerprint {

    private KeyFingerprint() {
    }

    public static String of(byte[] x509) {
        if (x509 == null) return null;
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(x509)).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
