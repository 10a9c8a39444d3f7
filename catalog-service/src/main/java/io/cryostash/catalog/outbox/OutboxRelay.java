// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.outbox;

import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Hands unpublished outbox rows, oldest first, to an {@link OutboxPublisher} and marks each one
 * published when the publisher returns; a failure leaves the row (and every later one) for the
 * next round, so order per key is kept. An event the publisher says can never be published
 * ({@link UnpublishableEventException}: too large, a topic name the broker refuses) is set aside
 * ({@code failed_at}) instead of holding up every later one. Rows are locked with SKIP LOCKED:
 * several catalog instances can relay at once.
 */
@Component
public class OutboxRelay {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

    /** Sends one event; throws when it could not be sent. */
    @FunctionalInterface
    public interface OutboxPublisher {
        void publish(OutboxEvent event) throws Exception;
    }

    /** The event can never be published as it is; retrying would not help. */
    public static class UnpublishableEventException extends Exception {
        public UnpublishableEventException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final JdbcClient jdbc;

    public OutboxRelay(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private static final String COLUMNS = "id, event_id, topic, message_key, event_type, payload::text, created_at, published_at, attempts";

    /** Publishes up to {@code max} events; returns how many were published. */
    @Transactional
    public int relayBatch(OutboxPublisher publisher, int max) {
        List<OutboxEvent> batch = jdbc.sql("SELECT " + COLUMNS + """
                         FROM outbox WHERE published_at IS NULL AND failed_at IS NULL
                        ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED""")
                .param(max)
                .query((rs, i) -> new OutboxEvent(rs.getLong(1), rs.getObject(2, UUID.class), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getTimestamp(7).toInstant(), null, rs.getInt(9)))
                .list();
        int sent = 0;
        for (OutboxEvent e : batch) {
            try {
                publisher.publish(e);
            } catch (UnpublishableEventException ex) {
                log.error("Outbox event {} ({} to {}) cannot be published and is set aside: {}", e.eventId(), e.eventType(),
                        e.topic(), ex.getMessage());
                jdbc.sql("UPDATE outbox SET failed_at = now(), attempts = attempts + 1, last_error = ? WHERE id = ?")
                        .params(String.valueOf(ex.getMessage()), e.id()).update();
                continue;
            } catch (Exception ex) {
                jdbc.sql("UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?")
                        .params(String.valueOf(ex.getMessage()), e.id()).update();
                break;
            }
            jdbc.sql("UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ?")
                    .param(e.id()).update();
            sent++;
        }
        return sent;
    }

    public List<OutboxEvent> pending(int max) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM outbox WHERE published_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT ?")
                .param(max)
                .query((rs, i) -> new OutboxEvent(rs.getLong(1), rs.getObject(2, UUID.class), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getTimestamp(7).toInstant(), null, rs.getInt(9)))
                .list();
    }
}
