// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.event;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The catalog's own Kafka settings under {@code cryostash.catalog.kafka.*}; the connection itself
 * (bootstrap servers, security protocol, SASL) is {@code spring.kafka.*}.
 *
 * @param partitions        partitions of the topics the catalog creates (events are keyed by host, so
 *                          one host's events stay in order in one partition)
 * @param replicationFactor their replication factor (1 for a single broker)
 * @param retries           how often a failing event is tried again before it is dead-lettered
 * @param backoff           the first wait before a retry; it doubles each time
 * @param maxBackoff        the longest wait between two tries
 * @param sendTimeout       how long publishing one event may wait for the broker before the outbox
 *                          relay leaves it for its next round
 */
@ConfigurationProperties("cryostash.catalog.kafka")
public record KafkaSettings(Integer partitions, Short replicationFactor, Integer retries, Duration backoff,
                            Duration maxBackoff, Duration sendTimeout) {

    public KafkaSettings {
        if (partitions == null) partitions = 3;
        if (replicationFactor == null) replicationFactor = 1;
        if (retries == null) retries = 5;
        if (backoff == null) backoff = Duration.ofMillis(500);
        if (maxBackoff == null) maxBackoff = Duration.ofSeconds(10);
        if (sendTimeout == null) sendTimeout = Duration.ofSeconds(5);
    }
}
