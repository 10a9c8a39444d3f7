// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.time.Instant;

/** Audit log query; every field may be null (no restriction). {@code action} matches as a prefix. */
public record AuditFilter(String actor, String action, String targetType, String targetId, Instant from, Instant to) {
    public static AuditFilter none() {
        return new AuditFilter(null, null, null, null, null, null);
    }
}
