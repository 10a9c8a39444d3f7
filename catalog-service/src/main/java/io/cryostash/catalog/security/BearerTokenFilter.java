// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates {@code Authorization: Bearer ...} by the token's kind: {@code cst_} as the agent of
 * one host (role AGENT), {@code csu_} as a person with their current role, {@code cse_} as an
 * enrolment (role ENROLMENT: it may enrol a host, nothing else). A bearer token that is unknown,
 * revoked or expired is rejected at once with 401, never passed on as anonymous.
 */
public class BearerTokenFilter extends OncePerRequestFilter {

    private final AgentTokenService agents;
    private final UserTokenService users;
    private final EnrolmentTokenService enrolments;
    private final AuthenticationEntryPoint entryPoint;

    public BearerTokenFilter(AgentTokenService agents, UserTokenService users, EnrolmentTokenService enrolments,
                             AuthenticationEntryPoint entryPoint) {
        this.agents = agents;
        this.users = users;
        this.enrolments = enrolments;
        this.entryPoint = entryPoint;
    }

    /** Whether the request carries {@code Authorization: Bearer ...} (this filter then decides who it is, or refuses it). */
    static boolean hasBearerToken(HttpServletRequest request) {
        String header = request.getHeader("Authorization");
        return header != null && header.regionMatches(true, 0, "Bearer ", 0, 7);
    }

    Optional<Authentication> authenticate(String token) {
        if (token.startsWith(AgentTokenService.PREFIX)) {
            return agents.authenticate(token).map(a -> UsernamePasswordAuthenticationToken.authenticated(a, null,
                    List.of(new SimpleGrantedAuthority("ROLE_AGENT"))));
        }
        if (token.startsWith(UserTokenService.PREFIX)) return users.authenticate(token);
        if (token.startsWith(EnrolmentTokenService.PREFIX)) {
            return enrolments.authenticate(token).map(e -> UsernamePasswordAuthenticationToken.authenticated(e, null,
                    List.of(new SimpleGrantedAuthority("ROLE_ENROLMENT"))));
        }
        return Optional.empty();
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!hasBearerToken(request)) {
            chain.doFilter(request, response);
            return;
        }
        String token = request.getHeader("Authorization").substring(7).trim();
        Optional<Authentication> auth = authenticate(token);
        if (auth.isEmpty()) {
            SecurityContextHolder.clearContext();
            entryPoint.commence(request, response, new BadCredentialsException("unknown, revoked or expired token"));
            return;
        }
        SecurityContext ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(auth.get());
        SecurityContextHolder.setContext(ctx);
        try {
            chain.doFilter(request, response);
        } finally {
            SecurityContextHolder.clearContext();
        }
    }
}
