// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The audit chain's sequencer. Audit entries are written by the transaction that makes the change
 * they record (so an entry exists exactly when its change committed), and every such transaction
 * would have to wait for the previous one's commit if it had to read the previous entry's hash: at
 * two hundred registrations a second that serialisation is what the catalog cannot afford. Instead
 * this component, every {@code cryostash.catalog.audit.chain-delay} (default 1 s), takes the entries
 * whose transactions have all ended — those with {@code xid} below its snapshot's xmin, which every
 * later snapshot sees in full — and gives each, in id order, the next position and its hash
 * ({@link AuditCanonical}). An entry is unchained for about a second; the scheduled check counts an
 * entry older than the watermark without a link as inserted behind the catalog's back.
 * Runs hold an advisory lock, so several catalog instances take turns.
 */
@Component
public class AuditChainer {

    private static final long LOCK = 0x4155444954L; // "AUDIT"
    private static final int BATCH = 10_000;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    public AuditChainer(JdbcClient jdbc, PlatformTransactionManager txManager) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(txManager);
    }

    @Scheduled(fixedDelayString = "${cryostash.catalog.audit.chain-delay:1000}")
    public void scheduled() {
        chain();
    }

    /** Chains every entry whose transaction has ended; returns how many. */
    public int chain() {
        int total = 0;
        while (true) {
            Integer n = tx.execute(s -> chainBatch());
            total += n;
            if (n < BATCH) return total;
        }
    }

    private record Head(long seq, byte[] hash) {
    }

    private int chainBatch() {
        jdbc.sql("SELECT pg_advisory_xact_lock(?)").param(LOCK).query().singleRow();
        // xmin of this transaction's snapshot: every transaction with a smaller id has ended
        String xmin = jdbc.sql("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").query(String.class).single();
        String watermark = jdbc.sql("SELECT watermark::text FROM audit_chain_state WHERE id = 1").query(String.class).single();
        List<AuditCanonical.Link> entries = jdbc.sql("""
                        SELECT id, at, actor, actor_kind, action, target_type, target_id, details::text AS details, remote_addr
                        FROM audit_log
                        WHERE xid >= ?::xid8 AND xid < ?::xid8
                          AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = audit_log.id)
                        ORDER BY id LIMIT ?""")
                .params(watermark, xmin, BATCH)
                .query((rs, i) -> new AuditCanonical.Link(0, rs.getLong("id"), rs.getTimestamp("at").toInstant(),
                        rs.getString("actor"), rs.getString("actor_kind"), rs.getString("action"),
                        rs.getString("target_type"), rs.getString("target_id"), rs.getString("details"),
                        rs.getString("remote_addr"), null))
                .list();
        Head head = jdbc.sql("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")
                .query((rs, i) -> new Head(rs.getLong(1), rs.getBytes(2))).optional()
                .orElse(new Head(0, AuditCanonical.GENESIS));
        long seq = head.seq();
        byte[] prev = head.hash();
        for (AuditCanonical.Link e : entries) {
            AuditCanonical.Link l = new AuditCanonical.Link(++seq, e.entryId(), e.at(), e.actor(), e.actorKind(),
                    e.action(), e.targetType(), e.targetId(), e.details(), e.remoteAddr(), prev);
            byte[] hash = AuditCanonical.hash(l);
            jdbc.sql("INSERT INTO audit_chain (seq, entry_id, prev_hash, hash) VALUES (?, ?, ?, ?)")
                    .params(l.seq(), l.entryId(), prev, hash).update();
            prev = hash;
        }
        if (entries.size() < BATCH) {
            jdbc.sql("UPDATE audit_chain_state SET watermark = ?::xid8 WHERE id = 1 AND watermark < ?::xid8")
                    .params(xmin, xmin).update();
        }
        return entries.size();
    }
}
