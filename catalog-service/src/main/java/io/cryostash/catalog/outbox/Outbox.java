// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.outbox;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import io.cryostash.schema.event.Event;
import io.cryostash.schema.event.EventCodec;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.databind.json.JsonMapper;

/**
 * The transactional outbox: an event is a row written in the same transaction as the change it
 * announces; a relay publishes unpublished rows to Kafka later (so an event is never lost while
 * Kafka is down, and may be sent twice: consumers are idempotent on the event's request id).
 * Events of the contract ({@link Event}) are written with {@link EventCodec}, as agents read them.
 */
@Component
public class Outbox {

    /** Published (as an application event) by an append; the relay wakes up once the transaction commits. */
    public record Appended(String topic) {
    }

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final EventCodec codec = new EventCodec();
    private final ApplicationEventPublisher events;

    public Outbox(JdbcClient jdbc, JsonMapper json, ApplicationEventPublisher events) {
        this.jdbc = jdbc;
        this.json = json;
        this.events = events;
    }

    /** Appends an event; must run inside the caller's transaction. Returns the event id. */
    @Transactional(propagation = Propagation.MANDATORY)
    public UUID append(String topic, String key, String eventType, Object payload) {
        String body = payload instanceof Event e ? new String(codec.encode(e), StandardCharsets.UTF_8)
                : json.writeValueAsString(payload);
        UUID id = jdbc.sql("""
                        INSERT INTO outbox (topic, message_key, event_type, payload)
                        VALUES (?, ?, ?, ?::jsonb) RETURNING event_id""")
                .params(topic, key, eventType, body)
                .query(UUID.class).single();
        events.publishEvent(new Appended(topic));
        return id;
    }
}
