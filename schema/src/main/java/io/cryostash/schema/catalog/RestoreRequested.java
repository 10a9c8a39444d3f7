// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.time.Instant;
import java.util.UUID;

/**
 * Published by the catalog (through its outbox) on topic {@link #TOPIC}, keyed by
 * {@code targetHostId}. Handlers must be idempotent on {@code restoreRequestId}.
 */
public record RestoreRequested(
        UUID restoreRequestId,
        String imageId,
        String manifestKey,
        String targetHostId,
        String requestedBy,
        Instant requestedAt) {
    public static final String TOPIC = "cryostash.restore.requested";
    public static final String TYPE = "restore.requested";
}
