// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.sign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The public keys whose signatures a restoring host accepts: its own and those it is
 * configured with (a directory of {@code *.pub} files; later, the keys the catalog lists for
 * its hosts). Immutable once built; thread-safe.
 */
public final class TrustedKeys {
    private final Map<String, PublicKey> byId;

    private TrustedKeys(Map<String, PublicKey> byId) {
        this.byId = Map.copyOf(byId);
    }

    public static TrustedKeys of(PublicKey... keys) {
        Map<String, PublicKey> m = new HashMap<>();
        for (PublicKey k : keys) {
            m.put(Signatures.keyId(k.getEncoded()), k);
        }
        return new TrustedKeys(m);
    }

    /** The host's own key plus every {@code *.pub} file (one base64 X.509 key each) in {@code dir}, if it exists. */
    public static TrustedKeys load(HostKeys own, Path dir) throws IOException {
        Map<String, PublicKey> m = new HashMap<>();
        m.put(own.keyId(), own.publicKey());
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s.filter(f -> f.toString().endsWith(".pub"))::iterator) {
                    try {
                        PublicKey k = Signatures.parsePublic(Base64.getDecoder().decode(
                                Files.readString(p, StandardCharsets.US_ASCII).trim()));
                        m.put(Signatures.keyId(k.getEncoded()), k);
                    } catch (GeneralSecurityException | IllegalArgumentException e) {
                        throw new IOException("trusted key file " + p + " is not an Ed25519 public key", e);
                    }
                }
            }
        }
        return new TrustedKeys(m);
    }

    /** Adds keys (e.g. those the catalog lists). */
    public TrustedKeys with(PublicKey... keys) {
        Map<String, PublicKey> m = new HashMap<>(byId);
        for (PublicKey k : keys) {
            m.put(Signatures.keyId(k.getEncoded()), k);
        }
        return new TrustedKeys(m);
    }

    /** The trusted key with this X.509 encoding, or null. */
    PublicKey find(byte[] x509) {
        PublicKey k = byId.get(Signatures.keyId(x509));
        return k != null && java.util.Arrays.equals(k.getEncoded(), x509) ? k : null;
    }

    public Set<String> keyIds() {
        return byId.keySet();
    }
}
