// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.outbox;

import java.time.Instant;
import java.util.UUID;

/** A row of the outbox as the relay sees it. */
public record OutboxEvent(long id, UUID eventId, String topic, String key, String eventType, String payload,
                          Instant createdAt, Instant publishedAt, int attempts) {
}
