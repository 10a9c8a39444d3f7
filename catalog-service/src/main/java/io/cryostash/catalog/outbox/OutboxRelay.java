// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.outbox;

import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Hands unpublished outbox rows, oldest first, to an {@link OutboxPublisher} and marks each one
 * published when the publisher returns; a failure leaves the row (and every later one) for the
 * next round, so order per key is kept. Rows are locked with SKIP LOCKED: several catalog
 * instances can relay at once. Who calls {@link #relayBatch} (a timer, the all-in-one stack) and
 * which publisher (Kafka) is wired outside this module.
 */
@Component
public class OutboxRelay {

    /** Sends one event; throws when it could not be sent. */
    @FunctionalInterface
    public interface OutboxPublisher {
        void publish(OutboxEvent event) throws Exception;
    }

    private final JdbcClient jdbc;

    public OutboxRelay(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Publishes up to {@code max} events; returns how many were published. */
    @Transactional
    public int relayBatch(OutboxPublisher publisher, int max) {
        List<OutboxEvent> batch = jdbc.sql("""
                        SELECT id, event_id, topic, message_key, event_type, payload::text, created_at, published_at, attempts
                        FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED""")
                .param(max)
                .query((rs, i) -> new OutboxEvent(rs.getLong(1), rs.getObject(2, java.util.UUID.class), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getTimestamp(7).toInstant(), null, rs.getInt(9)))
                .list();
        int sent = 0;
        for (OutboxEvent e : batch) {
            try {
                publisher.publish(e);
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
        return jdbc.sql("""
                        SELECT id, event_id, topic, message_key, event_type, payload::text, created_at, published_at, attempts
                        FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT ?""")
                .param(max)
                .query((rs, i) -> new OutboxEvent(rs.getLong(1), rs.getObject(2, java.util.UUID.class), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getTimestamp(7).toInstant(), null, rs.getInt(9)))
                .list();
    }
}
