// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.time.Instant;

/**
 * One line of the audit log; {@code details} is the JSON text of what changed (as PostgreSQL renders
 * the jsonb value: the text the chain's hash covers). {@code chainSeq} and {@code chainHash} (hex) are
 * its link in the audit chain, null for the second or so before the sequencer links it.
 */
public record AuditEntry(long id, Instant at, String actor, String actorKind, String action,
                         String targetType, String targetId, String details, String remoteAddr, Long chainSeq,
                         String chainHash) {
}
