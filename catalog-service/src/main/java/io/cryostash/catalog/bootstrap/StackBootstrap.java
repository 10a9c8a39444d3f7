// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.bootstrap;

import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.CatalogProperties;
import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.security.EnrolmentTokenService;
import io.cryostash.catalog.security.UserTokenService;
import io.cryostash.catalog.user.Role;
import io.cryostash.catalog.user.UserService;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * For {@code cryostash up}, called in-process: the credentials its client config needs, made once
 * per label. The first call for a label makes an API token of the administrator and an enrolment
 * token and returns them (with the administrator's password when this process generated it); later
 * calls return {@code created = false} and no tokens, since only their hashes are kept, unless the
 * label's tokens were revoked, in which case new ones are made. {@link #reissue} replaces them (a
 * lost client config).
 */
@Component
public class StackBootstrap {

    private final JdbcClient jdbc;
    private final UserService users;
    private final UserTokenService userTokens;
    private final EnrolmentTokenService enrolmentTokens;
    private final AuditLog audit;
    private final CatalogProperties props;

    public StackBootstrap(JdbcClient jdbc, UserService users, UserTokenService userTokens, EnrolmentTokenService enrolmentTokens,
                          AuditLog audit, CatalogProperties props) {
        this.jdbc = jdbc;
        this.users = users;
        this.userTokens = userTokens;
        this.enrolmentTokens = enrolmentTokens;
        this.audit = audit;
        this.props = props;
    }

    private record Issued(long userTokenId, long enrolmentTokenId) {
    }

    @Transactional
    public ClientCredentials ensureClientCredentials(String label) {
        checkLabel(label);
        users.ensureFirstAdmin();
        String admin = adminName();
        // Locks the label's row, so two concurrent calls cannot both make tokens.
        jdbc.sql("SELECT pg_advisory_xact_lock(hashtext(?))").param("cryostash-bootstrap:" + label).query().singleRow();
        Optional<Issued> before = jdbc.sql("SELECT user_token_id, enrolment_token_id FROM client_credentials WHERE label = ?")
                .param(label).query((rs, i) -> new Issued(rs.getLong(1), rs.getLong(2))).optional();
        if (before.isPresent() && userTokens.usable(before.get().userTokenId())
                && enrolmentTokens.usable(before.get().enrolmentTokenId())) {
            return new ClientCredentials(label, admin, null, null, null, false);
        }
        return issue(label, admin);
    }

    /** New tokens for a label, the old ones revoked (the client config that held them was lost). */
    @Transactional
    public ClientCredentials reissue(String label) {
        checkLabel(label);
        users.ensureFirstAdmin();
        jdbc.sql("SELECT pg_advisory_xact_lock(hashtext(?))").param("cryostash-bootstrap:" + label).query().singleRow();
        jdbc.sql("""
                        UPDATE user_tokens SET revoked_at = now() WHERE revoked_at IS NULL
                        AND id = (SELECT user_token_id FROM client_credentials WHERE label = ?)""").param(label).update();
        jdbc.sql("""
                        UPDATE enrolment_tokens SET revoked_at = now() WHERE revoked_at IS NULL
                        AND id = (SELECT enrolment_token_id FROM client_credentials WHERE label = ?)""").param(label).update();
        return issue(label, adminName());
    }

    private ClientCredentials issue(String label, String admin) {
        Actor system = Actor.system();
        var user = userTokens.issue(admin, "client config " + label, system);
        var enrolment = enrolmentTokens.issue("client config " + label, null, system);
        jdbc.sql("""
                        INSERT INTO client_credentials (label, user_token_id, enrolment_token_id) VALUES (?, ?, ?)
                        ON CONFLICT (label) DO UPDATE SET user_token_id = excluded.user_token_id,
                            enrolment_token_id = excluded.enrolment_token_id, created_at = now()""")
                .params(label, user.id(), enrolment.id()).update();
        audit.recordAs(system, "client-credentials.issued", "client-credentials", label, Map.of("admin", admin));
        return new ClientCredentials(label, admin, users.generatedAdminPassword(), user.token(), enrolment.token(), true);
    }

    /** The configured administrator if it is an enabled ADMIN, else the first enabled ADMIN. */
    private String adminName() {
        return jdbc.sql("""
                        SELECT username FROM users WHERE role = ? AND enabled
                        ORDER BY (username = ?) DESC, id LIMIT 1""")
                .params(Role.ADMIN.name(), props.adminUsername()).query(String.class).optional()
                .orElseThrow(() -> new IllegalStateException("the catalog has no enabled administrator to issue tokens for"));
    }

    private static void checkLabel(String label) {
        if (label == null || label.isBlank() || label.length() > 200 || label.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("label: 1 to 200 characters without control characters");
        }
    }
}
