// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import io.cryostash.store.sign.HostKeys;

/**
 * The public keys of the other agents kept under the same {@code $CRYOSTASH_HOME} on this machine
 * (agents/*&#47;keys, each directory 0700 and owned by the user the agents run as): images those
 * agents captured are as trustworthy as this agent's own, e.g. a restore under a second host id on
 * the machine that runs {@code cryostash up}.
 */
public final class LocalAgents {
    private LocalAgents() {
    }

    public static List<PublicKey> publicKeys(Path home) {
        Path agents = home.resolve("agents");
        List<PublicKey> out = new ArrayList<>();
        if (!Files.isDirectory(agents)) return out;
        try (Stream<Path> s = Files.list(agents)) {
            for (Path d : (Iterable<Path>) s::iterator) {
                Path pub = d.resolve("keys").resolve(HostKeys.PUBLIC_FILE);
                if (!Files.isRegularFile(pub)) continue;
                try {
                    byte[] x509 = Base64.getDecoder().decode(Files.readString(pub, StandardCharsets.US_ASCII).trim());
                    out.add(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(x509)));
                } catch (IOException | GeneralSecurityException | IllegalArgumentException ignored) {
                    // a damaged key file is trusted by nobody
                }
            }
        } catch (IOException ignored) {
            // no other agents to trust
        }
        return out;
    }
}
