// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.time.Instant;

/** One line of the audit log; {@code details} is the JSON text of what changed. */
public record AuditEntry(long id, Instant at, String actor, String actorKind, String action,
                         String targetType, String targetId, String details, String remoteAddr) {
}
