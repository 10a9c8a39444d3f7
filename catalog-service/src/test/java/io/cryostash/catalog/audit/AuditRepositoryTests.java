// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link AuditRepository}'s filters against the real audit_log table, with entries written by {@link AuditLog}. */
@CatalogTest
class AuditRepositoryTests {

    @Autowired AuditRepository audit;
    @Autowired JdbcClient jdbc;

    final Instant t0 = Instant.parse("2024-03-01T00:00:00Z");

    /**
     * An entry at {@code t0 + minutes}, inserted as {@link AuditLog} inserts but with its time given
     * (the log stamps now(), and entries cannot be moved afterwards: the table is append-only).
     */
    void entry(String actor, String action, String type, String id, int minutes) {
        jdbc.sql("""
                        INSERT INTO audit_log (at, actor, actor_kind, action, target_type, target_id, details, remote_addr)
                        VALUES (?, ?, 'USER', ?, ?, ?, ?::jsonb, '10.0.0.1')""")
                .params(Timestamp.from(t0.plusSeconds(60L * minutes)), actor, action, type, id, "{\"n\": " + minutes + "}")
                .update();
    }

    static List<String> targets(List<AuditEntry> entries) {
        return entries.stream().map(AuditEntry::targetId).toList();
    }

    @Test
    void filtersByActorActionPrefixTargetAndTime() {
        String alice = Fixtures.unique("alice");
        String bob = Fixtures.unique("bob");
        entry(alice, "restore.requested", "restore", "r1", 0);
        entry(alice, "restore.completed", "restore", "r1", 5);
        entry(bob, "image.deleted", "image", "i1", 10);
        entry(alice, "restore_x", "restore", "r2", 15);

        assertThat(targets(audit.find(new AuditFilter(alice, null, null, null, null, null), 0, 50).items()))
                .containsExactly("r2", "r1", "r1");
        assertThat(audit.find(new AuditFilter(alice, "restore.", null, null, null, null), 0, 50).items())
                .extracting(AuditEntry::action).containsExactly("restore.completed", "restore.requested");
        // The prefix is literal text: "_" and "%" are no wildcards.
        assertThat(audit.find(new AuditFilter(alice, "restore_", null, null, null, null), 0, 50).items())
                .extracting(AuditEntry::action).containsExactly("restore_x");
        assertThat(audit.find(new AuditFilter(alice, "%", null, null, null, null), 0, 50).items()).isEmpty();
        assertThat(targets(audit.find(new AuditFilter(bob, null, "image", "i1", null, null), 0, 50).items())).containsExactly("i1");
        assertThat(audit.find(new AuditFilter(bob, null, "restore", null, null, null), 0, 50).items()).isEmpty();
        assertThat(audit.find(new AuditFilter(alice, null, null, null, t0.plusSeconds(300), t0.plusSeconds(900)), 0, 50).items())
                .extracting(AuditEntry::action).containsExactly("restore.completed");
        var e = audit.find(new AuditFilter(bob, null, null, null, null, null), 0, 50).items().get(0);
        assertThat(e.remoteAddr()).isEqualTo("10.0.0.1");
        assertThat(e.details()).contains("\"n\"").contains("10");
        assertThat(audit.actions()).contains("restore.requested", "image.deleted");
    }

    @Test
    void pagesNewestFirstAndExportsOldestFirst() {
        String carol = Fixtures.unique("carol");
        for (int i = 0; i < 7; i++) entry(carol, "job.created", "job", "j" + i, i);
        var filter = new AuditFilter(carol, null, null, null, null, null);
        var page1 = audit.find(filter, 1, 3);
        assertThat(targets(page1.items())).containsExactly("j3", "j2", "j1");
        assertThat(page1.total()).isEqualTo(7);
        List<String> exported = new ArrayList<>();
        audit.forEach(filter, en -> exported.add(en.targetId()));
        assertThat(exported).containsExactly("j0", "j1", "j2", "j3", "j4", "j5", "j6");
    }
}
