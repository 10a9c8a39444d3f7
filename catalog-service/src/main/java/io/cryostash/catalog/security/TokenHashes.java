// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.security.SecureRandom;
import java.util.Base64;

/** Bearer tokens: a kind prefix and 32 random bytes (base64url); only their SHA-256 is stored. */
final class TokenHashes {

    private static final SecureRandom RANDOM = new SecureRandom();

    private TokenHashes() {
    }

    static String newToken(String prefix) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static byte[] hash(String token) {
        return AgentTokenService.sha256(token);
    }

    /** The first characters, to tell tokens apart in lists without revealing them. */
    static String prefixOf(String token) {
        return token.substring(0, 10);
    }
}
