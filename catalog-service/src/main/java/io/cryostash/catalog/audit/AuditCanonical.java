// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;

/**
 * The bytes of one link of the audit chain, and its hash. Defined once here, used by the sequencer
 * that writes the chain and by every verifier (the catalog's scheduled check, {@code cryostash audit
 * verify}, an auditor's own script).
 *
 * <pre>
 * link   := "cryostash-audit-chain 1\n" field{11}
 * field  := length:u32 (big-endian) utf8[length]     | 0xFFFFFFFF for a null field
 * fields := seq, entry id, at, actor, actor kind, action, target type, target id, details,
 *           remote address, previous hash
 * hash   := SHA-256(link)
 * </pre>
 *
 * Numbers are decimal text. {@code at} is the entry's time as microseconds since the epoch (what
 * PostgreSQL keeps of a timestamptz), decimal. {@code details} is the JSON text PostgreSQL returns
 * for the jsonb value ({@code details::text}): jsonb stores no formatting and always renders a value
 * the same way (keys by length then bytes, ", " and ": " separators), so any reader that gets the
 * text from PostgreSQL hashes the same bytes. The previous hash is lowercase hex; the first link's is
 * 64 zeros. Lengths make the encoding unambiguous: no field can spill into the next.
 */
public final class AuditCanonical {

    public static final String MAGIC = "cryostash-audit-chain 1\n";
    /** The previous hash of the first link. */
    public static final byte[] GENESIS = new byte[32];
    private static final HexFormat HEX = HexFormat.of();

    private AuditCanonical() {
    }

    /** One entry with its place in the chain: what the hash covers. */
    public record Link(long seq, long entryId, Instant at, String actor, String actorKind, String action,
                       String targetType, String targetId, String details, String remoteAddr, byte[] prevHash) {
    }

    public static byte[] bytes(Link l) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(MAGIC.getBytes(StandardCharsets.UTF_8));
        field(out, Long.toString(l.seq()));
        field(out, Long.toString(l.entryId()));
        field(out, Long.toString(micros(l.at())));
        field(out, l.actor());
        field(out, l.actorKind());
        field(out, l.action());
        field(out, l.targetType());
        field(out, l.targetId());
        field(out, l.details());
        field(out, l.remoteAddr());
        field(out, HEX.formatHex(l.prevHash()));
        return out.toByteArray();
    }

    public static byte[] hash(Link l) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes(l));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    static long micros(Instant t) {
        return ChronoUnit.MICROS.between(Instant.EPOCH, t);
    }

    private static void field(ByteArrayOutputStream out, String s) {
        if (s == null) {
            out.writeBytes(ByteBuffer.allocate(4).putInt(-1).array());
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeBytes(ByteBuffer.allocate(4).putInt(b.length).array());
        out.writeBytes(b);
    }
}
