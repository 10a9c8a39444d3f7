// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

/** An agent authenticated by a bearer token; it may act only for {@code hostId}. */
public record AgentPrincipal(long tokenId, String hostId) {
    public String name() {
        return "agent:" + hostId;
    }

    @Override
    public String toString() {
        return name();
    }
}
