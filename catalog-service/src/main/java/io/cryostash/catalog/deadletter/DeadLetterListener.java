// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.deadletter;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import io.cryostash.schema.event.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.support.Acknowledgment;

/**
 * Reads the dead-letter topic into the {@code dead_letters} table, which the web catalog lists. A
 * table rather than reading the topic for each page: the list must outlive the topic's retention,
 * page and sort without scanning a topic, and show while the broker is down; and every consumer's
 * dead letters (the agents' too) arrive on the one topic. Idempotent on the record's partition and
 * offset. Never dead-letters itself (its container retries for as long as the database is away).
 */
public class DeadLetterListener {

    private final DeadLetterRepository letters;

    public DeadLetterListener(DeadLetterRepository letters) {
        this.letters = letters;
    }

    @KafkaListener(id = "catalog-dead-letters", topics = Topics.DEAD_LETTER, groupId = "cryostash-catalog",
            containerFactory = "deadLetterListenerFactory")
    public void deadLetter(ConsumerRecord<String, byte[]> r, Acknowledgment ack) {
        String attempts = header(r, Topics.HEADER_ATTEMPTS);
        Integer n = null;
        try {
            n = attempts == null ? null : Integer.valueOf(attempts.trim());
        } catch (NumberFormatException ignored) {
            // shown without a count
        }
        letters.insert(r.partition(), r.offset(), header(r, Topics.HEADER_ORIGINAL_TOPIC), r.key(), header(r, Topics.HEADER_TYPE),
                header(r, Topics.HEADER_CONSUMER), header(r, Topics.HEADER_REASON), n, r.value(),
                Instant.ofEpochMilli(r.timestamp()));
        ack.acknowledge();
    }

    private static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
