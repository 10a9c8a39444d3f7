// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Checks the audit chain: every link in order (positions 1, 2, … without gaps, each link's previous
 * hash the hash of the link before), every entry a link names still there and still hashing to the
 * link ({@link AuditCanonical}), every entry older than the watermark linked, and every anchor the
 * catalog put in the store signed by the catalog and agreeing with the chain ({@link AuditAnchors}).
 * An edited, deleted or inserted row is found: editing changes a hash; deleting an entry leaves a
 * link without it, deleting links breaks the positions or the previous hashes; inserting an entry
 * leaves it unlinked, and inserting links breaks the previous hashes. Someone who rewrites every
 * later link consistently is caught by the anchors written before the rewrite.
 */
@Component
public class AuditVerifier {

    static final int MAX_PROBLEMS = 100;
    private static final HexFormat HEX = HexFormat.of();
    private final JdbcClient jdbc;
    private final AuditAnchors anchors;

    public AuditVerifier(JdbcClient jdbc, AuditAnchors anchors) {
        this.jdbc = jdbc;
        this.anchors = anchors;
    }

    /** State carried along the chain while it streams by. */
    private static final class Walk {
        long expectedSeq = 1;
        byte[] prev = AuditCanonical.GENESIS;
        long links;
        final List<ChainVerification.Problem> problems = new ArrayList<>();

        void problem(Long seq, Long entryId, ChainVerification.Kind kind, String message) {
            if (problems.size() < MAX_PROBLEMS) problems.add(new ChainVerification.Problem(seq, entryId, kind, message));
        }
    }

    @Transactional(readOnly = true)
    public ChainVerification verify() {
        Walk w = new Walk();
        jdbc.sql("""
                        SELECT c.seq, c.entry_id, c.prev_hash, c.hash, a.id, a.at, a.actor, a.actor_kind, a.action,
                               a.target_type, a.target_id, a.details::text AS details, a.remote_addr
                        FROM audit_chain c LEFT JOIN audit_log a ON a.id = c.entry_id ORDER BY c.seq""")
                .query(rs -> {
                    long seq = rs.getLong("seq");
                    long entry = rs.getLong("entry_id");
                    byte[] prev = rs.getBytes("prev_hash");
                    byte[] hash = rs.getBytes("hash");
                    if (seq != w.expectedSeq) {
                        w.problem(seq, entry, ChainVerification.Kind.BROKEN_LINK, "position " + seq + " follows "
                                + (w.expectedSeq - 1) + ": links " + w.expectedSeq + " to " + (seq - 1) + " are missing");
                    }
                    if (!Arrays.equals(prev, w.prev)) {
                        w.problem(seq, entry, ChainVerification.Kind.BROKEN_LINK, "link " + seq + " does not follow the link"
                                + " before it (its previous hash is " + HEX.formatHex(prev) + ", the link before hashes to "
                                + HEX.formatHex(w.prev) + ")");
                    }
                    rs.getLong("id");
                    if (rs.wasNull()) {
                        w.problem(seq, entry, ChainVerification.Kind.ENTRY_MISSING, "audit entry " + entry + " (link " + seq
                                + ") has been deleted");
                    } else {
                        AuditCanonical.Link l = new AuditCanonical.Link(seq, entry, rs.getTimestamp("at").toInstant(),
                                rs.getString("actor"), rs.getString("actor_kind"), rs.getString("action"),
                                rs.getString("target_type"), rs.getString("target_id"), rs.getString("details"),
                                rs.getString("remote_addr"), prev);
                        if (!Arrays.equals(AuditCanonical.hash(l), hash)) {
                            w.problem(seq, entry, ChainVerification.Kind.EDITED, "audit entry " + entry + " (link " + seq
                                    + ") has been changed since it was chained: it no longer hashes to its link");
                        }
                    }
                    w.expectedSeq = seq + 1;
                    w.prev = hash;
                    w.links++;
                });
        jdbc.sql("""
                        SELECT a.id FROM audit_log a
                        WHERE a.xid < (SELECT watermark FROM audit_chain_state WHERE id = 1)
                          AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.entry_id = a.id)
                        ORDER BY a.id LIMIT ?""")
                .param(MAX_PROBLEMS)
                .query(Long.class).list()
                .forEach(id -> w.problem(null, id, ChainVerification.Kind.UNCHAINED, "audit entry " + id
                        + " is in no link although the chain has passed it: it was inserted behind the catalog's back"));
        AuditAnchors.Check a = anchors.check(this::hashAt, w.expectedSeq - 1);
        a.problems().forEach(p -> w.problem(p.seq(), null, ChainVerification.Kind.ANCHOR_MISMATCH, p.message()));
        return new ChainVerification(w.problems.isEmpty(), w.links, w.expectedSeq - 1,
                w.links == 0 ? null : HEX.formatHex(w.prev), a.checked(), List.copyOf(w.problems), Instant.now());
    }

    /** The hash of the link at {@code seq}, or null when there is none. */
    byte[] hashAt(long seq) {
        return jdbc.sql("SELECT hash FROM audit_chain WHERE seq = ?").param(seq).query((rs, i) -> rs.getBytes(1))
                .optional().orElse(null);
    }
}
