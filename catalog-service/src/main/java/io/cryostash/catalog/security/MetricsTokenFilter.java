// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The Prometheus scrape token: {@code Authorization: Bearer <token>} where the token is the first
 * line of {@code cryostash.catalog.metrics-token-file} (read at start; at least 32 characters).
 * It grants role METRICS, which only the metrics endpoint accepts. Without the file, only people's
 * sessions may read the metrics; a bearer token that does not match is refused with 401.
 */
public class MetricsTokenFilter extends OncePerRequestFilter {

    static final String ROLE = "METRICS";
    private final byte[] tokenHash;
    private final ProblemAuthenticationEntryPoint problems;

    public MetricsTokenFilter(Path tokenFile, ProblemAuthenticationEntryPoint problems) throws IOException {
        this.problems = problems;
        if (tokenFile == null) {
            this.tokenHash = null;
            return;
        }
        String token = Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
        if (token.length() < 32) {
            throw new IllegalStateException(tokenFile + " (cryostash.catalog.metrics-token-file) must hold a token of at "
                    + "least 32 characters on its first line, e.g. from: openssl rand -hex 32");
        }
        this.tokenHash = sha256(token);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!BearerTokenFilter.hasBearerToken(request)) {
            chain.doFilter(request, response);
            return;
        }
        String presented = request.getHeader("Authorization").substring(7).trim();
        if (tokenHash == null || !MessageDigest.isEqual(tokenHash, sha256(presented))) {
            SecurityContextHolder.clearContext();
            problems.commence(request, response, new BadCredentialsException("not the metrics scrape token"));
            return;
        }
        SecurityContext ctx = SecurityContextHolder.createEmptyContext();
        ctx.setAuthentication(UsernamePasswordAuthenticationToken.authenticated("metrics-scraper", null,
                List.of(new SimpleGrantedAuthority("ROLE_" + ROLE))));
        SecurityContextHolder.setContext(ctx);
        try {
            chain.doFilter(request, response);
        } finally {
            SecurityContextHolder.clearContext();
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
