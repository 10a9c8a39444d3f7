// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cryostash.catalog.store.CatalogStore;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.ObjectInfo;
import io.cryostash.store.sign.HostKeys;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Anchors of the audit chain in the store: {@code audit/anchors/<seq, 20 digits>}, two lines —
 * {@code cryostash-audit-anchor 1 seq=<n> hash=<hex> at=<instant> key=<key id>} and the base64
 * Ed25519 signature of the first line's UTF-8 bytes by the catalog's own key (kept outside the
 * database, {@link CatalogStore#signingKeys}). The store is another system with other credentials:
 * someone who rewrites the database (even every link after an entry, consistently) cannot rewrite
 * an anchor written before, nor sign a new one. Anchors are written every
 * {@code cryostash.catalog.audit.anchor-interval} (default PT1H) when the chain has grown.
 */
@Component
public class AuditAnchors {

    private static final Pattern LINE = Pattern.compile(
            "cryostash-audit-anchor 1 seq=(\\d+) hash=([0-9a-f]{64}) at=(\\S+) key=([0-9a-f]+)");
    private static final HexFormat HEX = HexFormat.of();
    private final CatalogStore store;
    private final JdbcClient jdbc;

    public AuditAnchors(CatalogStore store, JdbcClient jdbc) {
        this.store = store;
        this.jdbc = jdbc;
    }

    /** An anchor written: the link it names and where it went. */
    public record Anchor(long seq, String hash, String objectName) {
    }

    /** Writes an anchor for the chain's last link unless that link is anchored already; empty without a store. */
    public Optional<Anchor> anchorHead() {
        Optional<Backend> backend = store.backend();
        if (backend.isEmpty()) return Optional.empty();
        var head = jdbc.sql("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")
                .query((rs, i) -> new Object[] {rs.getLong(1), rs.getBytes(2)}).optional();
        if (head.isEmpty()) return Optional.empty();
        long seq = (Long) head.get()[0];
        byte[] hash = (byte[]) head.get()[1];
        if (jdbc.sql("SELECT count(*) FROM audit_anchors WHERE seq = ?").param(seq).query(Long.class).single() > 0) {
            return Optional.empty();
        }
        HostKeys keys = store.signingKeys();
        String line = "cryostash-audit-anchor 1 seq=" + seq + " hash=" + HEX.formatHex(hash) + " at=" + Instant.now()
                + " key=" + keys.keyId();
        byte[] first = line.getBytes(StandardCharsets.UTF_8);
        String content = line + "\n" + Base64.getEncoder().encodeToString(keys.sign(first)) + "\n";
        String name = StoreFormat.AUDIT_ANCHORS + String.format("%020d", seq);
        try {
            backend.get().put(name, content.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the audit anchor " + name + ": " + e.getMessage(), e);
        }
        jdbc.sql("INSERT INTO audit_anchors (seq, hash, object_name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
                .params(seq, hash, name).update();
        return Optional.of(new Anchor(seq, HEX.formatHex(hash), name));
    }

    /** What checking the anchors found: how many were checked, and the problems (seq may be null). */
    record Check(int checked, List<ChainVerification.Problem> problems) {
    }

    /**
     * Checks every anchor in the store against the chain: its signature by the catalog's key, and the
     * hash of the link at its position ({@code hashAt}); an anchor beyond {@code headSeq} means links
     * were removed from the end.
     */
    Check check(LongFunction<byte[]> hashAt, long headSeq) {
        Optional<Backend> backend = store.backend();
        if (backend.isEmpty()) return new Check(0, List.of());
        List<ChainVerification.Problem> problems = new ArrayList<>();
        List<ObjectInfo> objects;
        try {
            objects = backend.get().list(StoreFormat.AUDIT_ANCHORS);
        } catch (IOException e) {
            return new Check(0, List.of(new ChainVerification.Problem(null, null, ChainVerification.Kind.ANCHOR_MISMATCH,
                    "the anchors in the store cannot be listed now (" + e.getMessage() + "): not checked")));
        }
        HostKeys keys = store.signingKeys();
        int checked = 0;
        for (ObjectInfo o : objects) {
            String text;
            try {
                text = new String(backend.get().get(o.name()), StandardCharsets.UTF_8);
            } catch (IOException e) {
                problems.add(problem(null, "anchor " + o.name() + " cannot be read: " + e.getMessage()));
                continue;
            }
            String[] lines = text.split("\n");
            Matcher m = lines.length == 2 ? LINE.matcher(lines[0]) : null;
            if (m == null || !m.matches()) {
                problems.add(problem(null, "anchor " + o.name() + " is not an anchor the catalog wrote"));
                continue;
            }
            long seq = Long.parseLong(m.group(1));
            boolean signed = verify(keys, lines[0].getBytes(StandardCharsets.UTF_8), lines[1].trim());
            if (!signed) {
                problems.add(problem(seq, "anchor " + o.name() + " is not signed by this catalog's key " + keys.keyId()));
                continue;
            }
            checked++;
            if (seq > headSeq) {
                problems.add(problem(seq, "anchor " + o.name() + " names link " + seq + " but the chain ends at " + headSeq
                        + ": links were removed from its end"));
                continue;
            }
            byte[] actual = hashAt.apply(seq);
            if (actual == null || !Arrays.equals(actual, HEX.parseHex(m.group(2)))) {
                problems.add(problem(seq, "link " + seq + " is not what the anchor of " + m.group(3) + " recorded: the chain"
                        + " up to it was rewritten"));
            }
        }
        return new Check(checked, problems);
    }

    private static boolean verify(HostKeys keys, byte[] data, String signatureBase64) {
        try {
            java.security.Signature s = java.security.Signature.getInstance("Ed25519");
            s.initVerify(keys.publicKey());
            s.update(data);
            return s.verify(Base64.getDecoder().decode(signatureBase64));
        } catch (java.security.GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static ChainVerification.Problem problem(Long seq, String message) {
        return new ChainVerification.Problem(seq, null, ChainVerification.Kind.ANCHOR_MISMATCH, message);
    }
}
