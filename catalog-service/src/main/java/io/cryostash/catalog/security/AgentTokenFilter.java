// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.io.IOException;
import java.util.List;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates {@code Authorization: Bearer cst_...} as the agent of one host (role AGENT). A
 * bearer token that is unknown or revoked is rejected at once with 401, never passed on as anonymous.
 */
public class AgentTokenFilter extends OncePerRequestFilter {

    private final AgentTokenService tokens;
    private final AuthenticationEntryPoint entryPoint;

    public AgentTokenFilter(AgentTokenService tokens, AuthenticationEntryPoint entryPoint) {
        this.tokens = tokens;
        this.entryPoint = entryPoint;
    }

    /** Whether the request carries {@code Authorization: Bearer ...} (this filter then decides who it is, or refuses it). */
    static boolean hasBearerToken(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!hasBearerToken(request)) {
            chain.doFilter(request, response);
            return;
        }
        String token = request.getHeader("Authorization").substring(7).trim();
        var agent = tokens.authenticate(token);
        if (agent.isEmpty()) {
            SecurityContextHolder.clearContext();
            entryPoint.commence(request, response, new BadCredentialsException("unknown or revoked agent token"));
            return;
        }
        var auth = UsernamePasswordAuthenticationToken.authenticated(agent.get(), null,
                List.of(new SimpleGrantedAuthority("ROLE_AGENT")));
        SecurityContext ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth);
        SecurityContextHolder.setContext(ctx);
        try {
            chain.doFilter(request, response);
        } finally {
            SecurityContextHolder.clearContext();
        }
    }
}
