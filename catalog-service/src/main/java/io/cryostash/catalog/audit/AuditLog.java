// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.util.Map;

import io.cryostash.catalog.security.Actor;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Appends to the audit log. Called inside the transaction of the change it records, so the change
 * and its entry commit (or roll back) together.
 */
@Component
public class AuditLog {

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public AuditLog(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void record(String action, String targetType, String targetId, Map<String, ?> details) {
        recordAs(Actor.current(), action, targetType, targetId, details);
    }

    public void recordAs(Actor actor, String action, String targetType, String targetId, Map<String, ?> details) {
        jdbc.sql("""
                        INSERT INTO audit_log (actor, actor_kind, action, target_type, target_id, details, remote_addr)
                        VALUES (?, ?, ?, ?, ?, ?::jsonb, ?)""")
                .params(clip(actor.name()), actor.kind(), action, clip(targetType), clip(targetId),
                        json.writeValueAsString(details == null ? Map.of() : details), clip(actor.remoteAddr()))
                .update();
    }

    /**
     * At most {@value #MAX_TEXT} characters of a name or id in an entry, with the full length said:
     * the columns are indexed (a B-tree entry holds about 2,700 bytes; a longer one failed the insert,
     * and with it the request) and shown in one table row on the audit page.
     */
    static String clip(String s) {
        if (s == null || s.length() <= MAX_TEXT) return s;
        return s.substring(0, MAX_TEXT) + "…(" + s.length() + " characters)";
    }

    static final int MAX_TEXT = 256;
}
