// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.util.List;
import java.util.function.Supplier;

import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Runs work for a host whose message signature was verified as that host's agent, so that the
 * services' checks ({@link Actor#agentHost()}) and the audit log see who acted, as for a request
 * with an agent token. Token id -1: authenticated by a signature, not by a token.
 */
public final class AgentContext {

    private AgentContext() {
    }

    public static <T> T runAs(String hostId, Supplier<T> work) {
        SecurityContext before = SecurityContextHolder.getContext();
        SecurityContext ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(UsernamePasswordAuthenticationToken.authenticated(new AgentPrincipal(-1, hostId), null,
                List.of(new SimpleGrantedAuthority("ROLE_AGENT"))));
        SecurityContextHolder.setContext(ctx);
        try {
            return work.get();
        } finally {
            SecurityContextHolder.setContext(before);
        }
    }
}
