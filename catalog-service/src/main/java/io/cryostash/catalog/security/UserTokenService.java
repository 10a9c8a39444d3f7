// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.userdetails.User;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * API tokens of people and the CLI ({@code csu_}): a request with one acts as its user, with the
 * role the user has at that moment. Every use reads the user's row, so a disabled user's tokens
 * (and a demoted user's rights) change at once; only a SHA-256 of each token is kept.
 */
@Service
public class UserTokenService {

    public static final String PREFIX = "csu_";
    private final JdbcClient jdbc;
    private final AuditLog audit;

    public UserTokenService(JdbcClient jdbc, AuditLog audit) {
        this.jdbc = jdbc;
        this.audit = audit;
    }

    public record IssuedToken(long id, String token, String label) {
    }

    public record TokenInfo(long id, String prefix, String label, Instant createdAt, Instant lastUsedAt, Instant revokedAt) {
    }

    /** Makes a token for {@code username}; {@code by} is who asked (the user, or the system at bootstrap). */
    @Transactional
    public IssuedToken issue(String username, String label, Actor by) {
        Long userId = jdbc.sql("SELECT id FROM users WHERE username = ?").param(username).query(Long.class).optional()
                .orElseThrow(() -> new NotFoundException("user", username));
        String token = TokenHashes.newToken(PREFIX);
        String l = label == null ? "" : label.strip();
        long id = jdbc.sql("""
                        INSERT INTO user_tokens (user_id, token_hash, token_prefix, label) VALUES (?, ?, ?, ?) RETURNING id""")
                .params(userId, TokenHashes.hash(token), TokenHashes.prefixOf(token), l)
                .query(Long.class).single();
        audit.recordAs(by, "user-token.issued", "user", username, Map.of("tokenId", id, "prefix", TokenHashes.prefixOf(token),
                "label", l));
        return new IssuedToken(id, token, l);
    }

    @Transactional
    public void revoke(String username, long id) {
        int n = jdbc.sql("""
                        UPDATE user_tokens SET revoked_at = now()
                        WHERE id = ? AND revoked_at IS NULL AND user_id = (SELECT id FROM users WHERE username = ?)""")
                .params(id, username).update();
        if (n == 0) throw new NotFoundException("token", String.valueOf(id));
        audit.record("user-token.revoked", "user", username, Map.of("tokenId", id));
    }

    public boolean usable(long id) {
        return jdbc.sql("""
                        SELECT count(*) FROM user_tokens t JOIN users u ON u.id = t.user_id
                        WHERE t.id = ? AND t.revoked_at IS NULL AND u.enabled""")
                .param(id).query(Long.class).single() > 0;
    }

    public List<TokenInfo> list(String username) {
        return jdbc.sql("""
                        SELECT t.id, t.token_prefix, t.label, t.created_at, t.last_used_at, t.revoked_at
                        FROM user_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = ? ORDER BY t.id DESC""")
                .param(username)
                .query((rs, i) -> new TokenInfo(rs.getLong(1), rs.getString(2), rs.getString(3), ts(rs.getTimestamp(4)),
                        ts(rs.getTimestamp(5)), ts(rs.getTimestamp(6))))
                .list();
    }

    /** The user a token acts for, with their current role; empty for an unknown or revoked token or a disabled user. */
    public Optional<Authentication> authenticate(String token) {
        if (token == null || !token.startsWith(PREFIX) || token.length() > 200) return Optional.empty();
        Optional<Authentication> found = jdbc.sql("""
                        SELECT t.id, u.username, u.role FROM user_tokens t JOIN users u ON u.id = t.user_id
                        WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.enabled""")
                .param(TokenHashes.hash(token))
                .query((rs, i) -> {
                    String name = rs.getString(2);
                    var authority = new SimpleGrantedAuthority("ROLE_" + rs.getString(3));
                    var principal = User.withUsername(name).password("").authorities(authority).build();
                    var auth = UsernamePasswordAuthenticationToken.authenticated(principal, null, List.of(authority));
                    auth.setDetails(rs.getLong(1));
                    return (Authentication) auth;
                })
                .optional();
        // last_used_at is kept to the minute; each time it moves, the use goes to the audit log
        // (at most one entry a minute per token)
        found.ifPresent(a -> {
            int moved = jdbc.sql("""
                            UPDATE user_tokens SET last_used_at = now()
                            WHERE id = ? AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')""")
                    .param(a.getDetails()).update();
            if (moved == 1) {
                audit.recordAs(new Actor(a.getName(), "USER", Actor.currentRemoteAddr()), "user-token.used", "user",
                        a.getName(), Map.of("tokenId", a.getDetails()));
            }
        });
        return found;
    }

    private static Instant ts(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
