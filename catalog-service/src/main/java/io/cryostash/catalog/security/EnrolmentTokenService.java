// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Enrolment tokens ({@code cse_}): made by an administrator, shown once, revocable, optionally
 * expiring. Whoever holds one may enrol hosts ({@code POST /api/hosts/enrol}); one token may enrol
 * many (each use is counted). Looked up in the database on every use: revoking one works at once.
 */
@Service
public class EnrolmentTokenService {

    public static final String PREFIX = "cse_";
    private final JdbcClient jdbc;
    private final AuditLog audit;

    public EnrolmentTokenService(JdbcClient jdbc, AuditLog audit) {
        this.jdbc = jdbc;
        this.audit = audit;
    }

    public record IssuedToken(long id, String token, String label, Instant expiresAt) {
    }

    public record TokenInfo(long id, String prefix, String label, String createdBy, Instant createdAt, Instant expiresAt,
                            Instant revokedAt, Instant lastUsedAt, int uses) {
    }

    /** Makes a token; {@code createdBy} is who asked (the audit log gets the current actor). */
    @Transactional
    public IssuedToken issue(String label, Instant expiresAt, Actor createdBy) {
        String token = TokenHashes.newToken(PREFIX);
        String l = label == null ? "" : label.strip();
        long id = jdbc.sql("""
                        INSERT INTO enrolment_tokens (token_hash, token_prefix, label, created_by, expires_at)
                        VALUES (?, ?, ?, ?, ?) RETURNING id""")
                .params(TokenHashes.hash(token), TokenHashes.prefixOf(token), l, createdBy.name(),
                        expiresAt == null ? null : Timestamp.from(expiresAt))
                .query(Long.class).single();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("prefix", TokenHashes.prefixOf(token));
        d.put("label", l);
        if (expiresAt != null) d.put("expiresAt", expiresAt.toString());
        audit.recordAs(createdBy, "enrolment-token.issued", "enrolment-token", String.valueOf(id), d);
        return new IssuedToken(id, token, l, expiresAt);
    }

    @Transactional
    public void revoke(long id) {
        int n = jdbc.sql("UPDATE enrolment_tokens SET revoked_at = now() WHERE id = ? AND revoked_at IS NULL").param(id).update();
        if (n == 0) throw new NotFoundException("enrolment token", String.valueOf(id));
        audit.record("enrolment-token.revoked", "enrolment-token", String.valueOf(id), Map.of());
    }

    public boolean usable(long id) {
        return jdbc.sql("""
                        SELECT count(*) FROM enrolment_tokens
                        WHERE id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())""")
                .param(id).query(Long.class).single() > 0;
    }

    public List<TokenInfo> list() {
        return jdbc.sql("""
                        SELECT id, token_prefix, label, created_by, created_at, expires_at, revoked_at, last_used_at, uses
                        FROM enrolment_tokens ORDER BY id DESC""")
                .query((rs, i) -> new TokenInfo(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        ts(rs.getTimestamp(5)), ts(rs.getTimestamp(6)), ts(rs.getTimestamp(7)), ts(rs.getTimestamp(8)),
                        rs.getInt(9)))
                .list();
    }

    /** The token's holder, if the token is known, not revoked and not expired. */
    public Optional<EnrolmentPrincipal> authenticate(String token) {
        if (token == null || !token.startsWith(PREFIX) || token.length() > 200) return Optional.empty();
        return jdbc.sql("""
                        SELECT id, token_prefix FROM enrolment_tokens
                        WHERE token_hash = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())""")
                .param(TokenHashes.hash(token))
                .query((rs, i) -> new EnrolmentPrincipal(rs.getLong(1), rs.getString(2)))
                .optional();
    }

    /** Counts a use (an enrolment), in the enrolment's transaction. */
    public void used(long id) {
        jdbc.sql("UPDATE enrolment_tokens SET uses = uses + 1, last_used_at = now() WHERE id = ?").param(id).update();
    }

    private static Instant ts(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
