// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.sql.Timestamp;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.security.Actor;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.flyway.autoconfigure.FlywayDataSource;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

/**
 * The audit log as a hash chain, attacked the way someone with database access would: a row
 * edited, deleted or inserted directly in PostgreSQL (with the append-only triggers bypassed, as a
 * table owner can), and the chain after an entry rewritten consistently. Each is found by the check
 * (API, scheduled check's status with its metric and the web alert), and the anchor in the store
 * catches the rewrite. Every test puts the database back as it was, so that the chain stays intact
 * for the tests that share this database.
 */
@CatalogTest
class AuditChainTests {

    @Autowired AuditLog log;
    @Autowired AuditChainer chainer;
    @Autowired AuditStatus status;
    @Autowired AuditAnchors anchors;
    @Autowired JdbcClient jdbc;
    /** The owner role (Flyway's): owns the tables, so it can switch their triggers off, as an attacker with it could. */
    @Autowired @FlywayDataSource DataSource owner;
    @Autowired MockMvc mvc;
    @Autowired MeterRegistry meters;

    /**
     * Runs SQL as the tables' owner with the append-only triggers off for this transaction only (DDL
     * is transactional), and the chain's sequencer held off.
     */
    private void tamper(String sql, Object... params) {
        JdbcClient asOwner = JdbcClient.create(owner);
        new TransactionTemplate(new DataSourceTransactionManager(owner)).executeWithoutResult(s -> {
            asOwner.sql("SELECT pg_advisory_xact_lock(?)").param(0x4155444954L).query().singleRow();
            asOwner.sql("ALTER TABLE audit_log DISABLE TRIGGER USER").update();
            asOwner.sql("ALTER TABLE audit_chain DISABLE TRIGGER USER").update();
            asOwner.sql(sql).params(params).update();
            asOwner.sql("ALTER TABLE audit_log ENABLE TRIGGER USER").update();
            asOwner.sql("ALTER TABLE audit_chain ENABLE TRIGGER USER").update();
        });
    }

    private long entry(String action) {
        String actor = Fixtures.unique("auditor");
        log.recordAs(new Actor(actor, "USER", "10.1.2.3"), action, "thing", actor, Map.of("n", 1, "why", "test"));
        chainer.chain();
        return jdbc.sql("SELECT id FROM audit_log WHERE actor = ?").param(actor).query(Long.class).single();
    }

    private ChainVerification check() {
        return status.checkNow();
    }

    private double validGauge() {
        return meters.get("cryostash.audit.chain.valid").gauge().value();
    }

    @Test
    void chainedEntriesVerifyAndTheTablesRefuseUpdatesAndDeletes() throws Exception {
        long id = entry("test.intact");
        ChainVerification v = check();
        assertThat(v.problems()).isEmpty();
        assertThat(v.valid()).isTrue();
        assertThat(v.links()).isPositive();
        assertThat(validGauge()).isEqualTo(1.0);
        assertThat(jdbc.sql("SELECT count(*) FROM audit_chain WHERE entry_id = ?").param(id).query(Long.class).single()).isOne();
        // the catalog's own role has no right to; the owner has, and the triggers refuse (PostgreSQL's
        // message is the cause's: Spring's exception names only the statement)
        assertThatThrownBy(() -> jdbc.sql("UPDATE audit_log SET actor = 'x' WHERE id = ?").param(id).update())
                .rootCause().hasMessageContaining("permission denied");
        assertThatThrownBy(() -> jdbc.sql("DELETE FROM audit_chain WHERE entry_id = ?").param(id).update())
                .rootCause().hasMessageContaining("permission denied");
        JdbcClient asOwner = JdbcClient.create(owner);
        assertThatThrownBy(() -> asOwner.sql("UPDATE audit_log SET actor = 'x' WHERE id = ?").param(id).update())
                .rootCause().hasMessageContaining("append-only");
        assertThatThrownBy(() -> asOwner.sql("DELETE FROM audit_chain WHERE entry_id = ?").param(id).update())
                .rootCause().hasMessageContaining("append-only");
        mvc.perform(post("/api/audit/verify").with(user("v").roles("VIEWER")).with(csrf()))
                .andExpect(status().isOk()).andExpect(jsonPath("$.valid").value(true));
        mvc.perform(get("/api/audit").param("actor", jdbc.sql("SELECT actor FROM audit_log WHERE id = ?").param(id)
                        .query(String.class).single()).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.items[0].chainSeq").isNumber())
                .andExpect(jsonPath("$.items[0].chainHash").isString());
    }

    @Test
    void anEditedRowIsFoundAndShownUntilPutRight() throws Exception {
        long id = entry("test.edited");
        String before = jdbc.sql("SELECT details::text FROM audit_log WHERE id = ?").param(id).query(String.class).single();
        try {
            tamper("UPDATE audit_log SET details = '{\"n\": 2, \"why\": \"test\"}'::jsonb WHERE id = ?", id);
            ChainVerification v = check();
            assertThat(v.valid()).isFalse();
            assertThat(v.problems()).anySatisfy(p -> {
                assertThat(p.kind()).isEqualTo(ChainVerification.Kind.EDITED);
                assertThat(p.entryId()).isEqualTo(id);
            });
            assertThat(validGauge()).isEqualTo(0.0);
            mvc.perform(get("/images").with(user("v").roles("VIEWER")))
                    .andExpect(content().string(containsString("id=\"audit-alert\"")))
                    .andExpect(content().string(containsString("audit entry " + id)));
            mvc.perform(post("/api/audit/verify").with(user("v").roles("VIEWER")).with(csrf()))
                    .andExpect(jsonPath("$.valid").value(false)).andExpect(jsonPath("$.problems[0].kind").value("EDITED"));
        } finally {
            tamper("UPDATE audit_log SET details = ?::jsonb WHERE id = ?", before, id);
        }
        assertThat(check().valid()).isTrue();
        assertThat(validGauge()).isEqualTo(1.0);
        mvc.perform(get("/images").with(user("v").roles("VIEWER")))
                .andExpect(content().string(not(containsString("id=\"audit-alert\""))));
    }

    /** Everything of an entry, to put it back exactly. */
    private Map<String, Object> row(long id) {
        return jdbc.sql("SELECT id, at, actor, actor_kind, action, target_type, target_id, details::text AS details,"
                + " remote_addr, xid::text AS xid FROM audit_log WHERE id = ?").param(id).query().singleRow();
    }

    private void putBack(Map<String, Object> r) {
        tamper("""
                        INSERT INTO audit_log (id, at, actor, actor_kind, action, target_type, target_id, details, remote_addr, xid)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::xid8)""",
                r.get("id"), r.get("at"), r.get("actor"), r.get("actor_kind"), r.get("action"), r.get("target_type"),
                r.get("target_id"), r.get("details"), r.get("remote_addr"), r.get("xid"));
    }

    @Test
    void aDeletedRowIsFound() {
        long id = entry("test.deleted");
        entry("test.after-deleted");
        Map<String, Object> saved = row(id);
        try {
            tamper("DELETE FROM audit_log WHERE id = ?", id);
            ChainVerification v = check();
            assertThat(v.valid()).isFalse();
            assertThat(v.problems()).anySatisfy(p -> {
                assertThat(p.kind()).isEqualTo(ChainVerification.Kind.ENTRY_MISSING);
                assertThat(p.entryId()).isEqualTo(id);
            });
        } finally {
            putBack(saved);
        }
        assertThat(check().valid()).isTrue();
    }

    @Test
    void aDeletedEntryWithItsLinkIsFound() {
        long id = entry("test.deleted-with-link");
        entry("test.after-deleted-with-link");
        Map<String, Object> saved = row(id);
        Map<String, Object> link = jdbc.sql("SELECT seq, entry_id, prev_hash, hash, chained_at FROM audit_chain WHERE entry_id = ?")
                .param(id).query().singleRow();
        try {
            tamper("DELETE FROM audit_chain WHERE entry_id = ?", id);
            tamper("DELETE FROM audit_log WHERE id = ?", id);
            ChainVerification v = check();
            assertThat(v.valid()).isFalse();
            assertThat(v.problems()).anySatisfy(p -> assertThat(p.kind()).isEqualTo(ChainVerification.Kind.BROKEN_LINK));
        } finally {
            putBack(saved);
            tamper("INSERT INTO audit_chain (seq, entry_id, prev_hash, hash, chained_at) VALUES (?, ?, ?, ?, ?)",
                    link.get("seq"), link.get("entry_id"), link.get("prev_hash"), link.get("hash"), link.get("chained_at"));
        }
        assertThat(check().valid()).isTrue();
    }

    @Test
    void anInsertedRowIsFound() {
        entry("test.before-insert");
        String actor = Fixtures.unique("forger");
        try {
            // inserted as if long ago: its transaction id is below the chain's watermark
            tamper("""
                            INSERT INTO audit_log (at, actor, actor_kind, action, target_type, target_id, details, xid)
                            VALUES (now() - interval '1 day', ?, 'USER', 'image.deleted', 'image', 'img-x', '{}'::jsonb, '3'::xid8)""",
                    actor);
            long id = jdbc.sql("SELECT id FROM audit_log WHERE actor = ?").param(actor).query(Long.class).single();
            chainer.chain(); // the sequencer does not pick it up: it is below the watermark
            ChainVerification v = check();
            assertThat(v.valid()).isFalse();
            assertThat(v.problems()).anySatisfy(p -> {
                assertThat(p.kind()).isEqualTo(ChainVerification.Kind.UNCHAINED);
                assertThat(p.entryId()).isEqualTo(id);
            });
        } finally {
            tamper("DELETE FROM audit_log WHERE actor = ?", actor);
        }
        assertThat(check().valid()).isTrue();
    }

    @Test
    void aChainRewrittenAfterAnAnchorIsCaughtByTheSignedAnchorInTheStore() {
        long id = entry("test.anchored");
        entry("test.after-anchored");
        var anchor = anchors.anchorHead();
        assertThat(anchor).isPresent();
        Map<String, Object> saved = row(id);
        long seq = jdbc.sql("SELECT seq FROM audit_chain WHERE entry_id = ?").param(id).query(Long.class).single();
        List<Map<String, Object>> links = jdbc.sql("SELECT seq, prev_hash, hash FROM audit_chain WHERE seq >= ? ORDER BY seq")
                .param(seq).query().listOfRows();
        try {
            // an attacker who owns the database edits an entry and rewrites every later link consistently
            tamper("UPDATE audit_log SET actor = 'someone-else' WHERE id = ?", id);
            rehashFrom(seq);
            ChainVerification v = check();
            assertThat(v.valid()).isFalse();
            assertThat(v.problems()).allSatisfy(p -> assertThat(p.kind()).isEqualTo(ChainVerification.Kind.ANCHOR_MISMATCH));
            assertThat(v.problems()).anySatisfy(p -> assertThat(p.message()).contains("rewritten"));
            assertThat(v.anchors()).isPositive();
        } finally {
            tamper("UPDATE audit_log SET actor = ? WHERE id = ?", saved.get("actor"), id);
            for (Map<String, Object> l : links) {
                tamper("UPDATE audit_chain SET prev_hash = ?, hash = ? WHERE seq = ?", l.get("prev_hash"), l.get("hash"), l.get("seq"));
            }
        }
        assertThat(check().valid()).isTrue();
        // the anchor is in the store, signed, one line of text and a signature
        assertThat(anchor.get().objectName()).startsWith("audit/anchors/");
    }

    /** Recomputes every link from {@code seq} on, as a capable attacker would. */
    private void rehashFrom(long seq) {
        byte[] prev = jdbc.sql("SELECT prev_hash FROM audit_chain WHERE seq = ?").param(seq).query((rs, i) -> rs.getBytes(1)).single();
        List<Map<String, Object>> rows = jdbc.sql("""
                        SELECT c.seq, a.id, a.at, a.actor, a.actor_kind, a.action, a.target_type, a.target_id,
                               a.details::text AS details, a.remote_addr
                        FROM audit_chain c JOIN audit_log a ON a.id = c.entry_id WHERE c.seq >= ? ORDER BY c.seq""")
                .param(seq).query().listOfRows();
        for (Map<String, Object> r : rows) {
            AuditCanonical.Link l = new AuditCanonical.Link((Long) r.get("seq"), (Long) r.get("id"),
                    ((Timestamp) r.get("at")).toInstant(), (String) r.get("actor"), (String) r.get("actor_kind"),
                    (String) r.get("action"), (String) r.get("target_type"), (String) r.get("target_id"),
                    (String) r.get("details"), (String) r.get("remote_addr"), prev);
            byte[] hash = AuditCanonical.hash(l);
            tamper("UPDATE audit_chain SET prev_hash = ?, hash = ? WHERE seq = ?", prev, hash, l.seq());
            prev = hash;
        }
    }

    @Test
    void theCanonicalBytesAreUnambiguous() {
        var a = new AuditCanonical.Link(1, 2, java.time.Instant.parse("2026-01-01T00:00:00.000001Z"), "ab", "USER", "c",
                null, "", "{}", null, AuditCanonical.GENESIS);
        var b = new AuditCanonical.Link(1, 2, java.time.Instant.parse("2026-01-01T00:00:00.000001Z"), "a", "USER", "bc",
                null, "", "{}", null, AuditCanonical.GENESIS);
        var c = new AuditCanonical.Link(1, 2, java.time.Instant.parse("2026-01-01T00:00:00.000001Z"), "ab", "USER", "c",
                "", null, "{}", null, AuditCanonical.GENESIS);
        assertThat(HexFormat.of().formatHex(AuditCanonical.hash(a))).isNotEqualTo(HexFormat.of().formatHex(AuditCanonical.hash(b)));
        assertThat(AuditCanonical.hash(a)).isNotEqualTo(AuditCanonical.hash(c));
    }
}
