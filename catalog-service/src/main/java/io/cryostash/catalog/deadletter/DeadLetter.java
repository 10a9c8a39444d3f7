// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.deadletter;

import java.time.Instant;

/**
 * An event a consumer gave up on, as the dead-letter topic carried it.
 *
 * @param originalTopic where the event was first published
 * @param key           its key (the host it was for or from)
 * @param eventType     its {@code cryostash-type} header
 * @param consumer      who gave up: {@code cryostash-catalog} or an agent's group
 * @param reason        why
 * @param attempts      how often it was tried
 * @param payload       the event's value (as text, cut to a few KiB)
 * @param parkedAt      when it reached the dead-letter topic
 */
public record DeadLetter(long id, String originalTopic, String key, String eventType, String consumer, String reason,
                         Integer attempts, String payload, Instant parkedAt) {
}
