// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Agent bearer tokens: {@code cst_} followed by 32 random bytes (base64url). Only their SHA-256 is
 * stored; the token itself is shown once, when it is made.
 *
 * <p>Agents send a token with every request (a chunk query, a registration, a heartbeat), so known
 * tokens are kept for {@link #CACHE_FOR} instead of being looked up each time. Revoking a token
 * empties the cache; another catalog instance on the same database may still accept a revoked token
 * for up to {@link #CACHE_FOR}.
 */
@Service
public class AgentTokenService {

    public static final String PREFIX = "cst_";
    static final Duration CACHE_FOR = Duration.ofSeconds(5);
    private final SecureRandom random = new SecureRandom();
    private final JdbcClient jdbc;
    private final AuditLog audit;
    /** Hex SHA-256 of a token → its agent; only valid tokens, so its size is bounded by the tokens issued. */
    private final Cache<String, AgentPrincipal> known = Caffeine.newBuilder()
            .expireAfterWrite(CACHE_FOR).maximumSize(10_000).build();
    /** Counts revocations, so that a lookup that raced with one does not cache what it read before it. */
    private long revocations;

    public AgentTokenService(JdbcClient jdbc, AuditLog audit) {
        this.jdbc = jdbc;
        this.audit = audit;
    }

    public record IssuedToken(long id, String hostId, String token) {
    }

    public record TokenInfo(long id, String hostId, String prefix, String createdBy, Instant createdAt,
                            Instant lastUsedAt, Instant revokedAt) {
    }

    @Transactional
    public IssuedToken issue(String hostId) {
        Integer hosts = jdbc.sql("SELECT count(*) FROM hosts WHERE id = ?").param(hostId).query(Integer.class).single();
        if (hosts == 0) throw new NotFoundException("host", hostId);
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        Actor actor = Actor.current();
        long id = jdbc.sql("""
                        INSERT INTO agent_tokens (host_id, token_hash, token_prefix, created_by)
                        VALUES (?, ?, ?, ?) RETURNING id""")
                .params(hostId, sha256(token), token.substring(0, 10), actor.name())
                .query(Long.class).single();
        audit.record("agent-token.issued", "host", hostId, java.util.Map.of("tokenId", id, "prefix", token.substring(0, 10)));
        return new IssuedToken(id, hostId, token);
    }

    @Transactional
    public void revoke(String hostId, long tokenId) {
        int n = jdbc.sql("UPDATE agent_tokens SET revoked_at = now() WHERE id = ? AND host_id = ? AND revoked_at IS NULL")
                .params(tokenId, hostId).update();
        if (n == 0) throw new NotFoundException("agent token", String.valueOf(tokenId));
        audit.record("agent-token.revoked", "host", hostId, java.util.Map.of("tokenId", tokenId));
        // Now, and again once the revocation is committed: a request in between could have looked
        // the token up (still valid to it) and cached it again.
        forgetAll();
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    forgetAll();
                }
            });
        }
    }

    /** Revokes every token of a host (its key was reset); returns how many. */
    @Transactional
    public int revokeAll(String hostId) {
        int n = jdbc.sql("UPDATE agent_tokens SET revoked_at = now() WHERE host_id = ? AND revoked_at IS NULL")
                .param(hostId).update();
        forgetAll();
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCompletion(int status) {
                    forgetAll();
                }
            });
        }
        return n;
    }

    private synchronized void forgetAll() {
        revocations++;
        known.invalidateAll();
    }

    private synchronized long revocations() {
        return revocations;
    }

    private synchronized void remember(String cacheKey, AgentPrincipal p, long revocationsBefore) {
        if (revocations == revocationsBefore) known.put(cacheKey, p);
    }

    public List<TokenInfo> list(String hostId) {
        return jdbc.sql("""
                        SELECT id, host_id, token_prefix, created_by, created_at, last_used_at, revoked_at
                        FROM agent_tokens WHERE host_id = ? ORDER BY id""")
                .param(hostId)
                .query((rs, i) -> new TokenInfo(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        ts(rs.getTimestamp(5)), ts(rs.getTimestamp(6)), ts(rs.getTimestamp(7))))
                .list();
    }

    /** The agent a presented token belongs to, if it is known and not revoked. */
    public Optional<AgentPrincipal> authenticate(String token) {
        if (token == null || !token.startsWith(PREFIX) || token.length() > 200) return Optional.empty();
        byte[] hash = sha256(token);
        String cacheKey = HexFormat.of().formatHex(hash);
        AgentPrincipal cached = known.getIfPresent(cacheKey);
        if (cached != null) return Optional.of(cached);
        long revocationsBefore = revocations();
        Optional<AgentPrincipal> found = jdbc.sql("""
                        SELECT id, host_id FROM agent_tokens WHERE token_hash = ? AND revoked_at IS NULL""")
                .param(hash)
                .query((rs, i) -> new AgentPrincipal(rs.getLong(1), rs.getString(2)))
                .optional();
        // last_used_at is kept to the minute, so updating it only when the cache is refilled is enough.
        // Each time it moves, the use goes to the audit log: at most one entry a minute per token.
        found.ifPresent(p -> remember(cacheKey, p, revocationsBefore));
        found.ifPresent(p -> {
            int moved = jdbc.sql("""
                            UPDATE agent_tokens SET last_used_at = now()
                            WHERE id = ? AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')""")
                    .param(p.tokenId()).update();
            if (moved == 1) {
                audit.recordAs(new Actor(p.name(), "AGENT", Actor.currentRemoteAddr()), "agent-token.used", "host",
                        p.hostId(), java.util.Map.of("tokenId", p.tokenId()));
            }
        });
        return found;
    }

    static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Instant ts(java.sql.Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
