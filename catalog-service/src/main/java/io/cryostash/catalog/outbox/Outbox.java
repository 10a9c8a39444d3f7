// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.outbox;

import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The transactional outbox: an event is a row written in the same transaction as the change it
 * announces; a relay publishes unpublished rows to Kafka later (so an event is never lost while
 * Kafka is down, and may be sent twice: consumers are idempotent on {@code event_id}).
 */
@Component
public class Outbox {

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public Outbox(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Appends an event; must run inside the caller's transaction. Returns the event id. */
    @Transactional(propagation = Propagation.MANDATORY)
    public UUID append(String topic, String key, String eventType, Object payload) {
        return jdbc.sql("""
                        INSERT INTO outbox (topic, message_key, event_type, payload)
                        VALUES (?, ?, ?, ?::jsonb) RETURNING event_id""")
                .params(topic, key, eventType, json.writeValueAsString(payload))
                .query(UUID.class).single();
    }
}
