// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.deadletter;

import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import io.cryostash.catalog.system.Page;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class DeadLetterRepository {

    /** Kept of an event's value: events are small pointers, this shows all of a normal one. */
    static final int MAX_PAYLOAD = 64 * 1024;
    static final int MAX_TEXT = 4_000;

    private final JdbcClient jdbc;

    public DeadLetterRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records one dead letter; a second read of the same record (same partition and offset) adds nothing. */
    public void insert(int partition, long offset, String originalTopic, String key, String eventType, String consumer,
                       String reason, Integer attempts, byte[] payload, Instant parkedAt) {
        byte[] kept = payload == null ? null : payload.length > MAX_PAYLOAD ? Arrays.copyOf(payload, MAX_PAYLOAD) : payload;
        jdbc.sql("""
                        INSERT INTO dead_letters (dl_partition, dl_offset, original_topic, message_key, event_type, consumer,
                                                  reason, attempts, payload, parked_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dl_partition, dl_offset) DO NOTHING""")
                .params(partition, offset, cut(originalTopic), cut(key), cut(eventType), cut(consumer),
                        reason == null ? "(no reason given)" : cut(reason), attempts, kept, Timestamp.from(parkedAt))
                .update();
    }

    public Page<DeadLetter> find(int page, int size) {
        long total = jdbc.sql("SELECT count(*) FROM dead_letters").query(Long.class).single();
        List<DeadLetter> items = jdbc.sql("""
                        SELECT id, original_topic, message_key, event_type, consumer, reason, attempts, payload, parked_at
                        FROM dead_letters ORDER BY parked_at DESC, id DESC LIMIT ? OFFSET ?""")
                .params(size, (long) page * size)
                .query((rs, i) -> {
                    int a = rs.getInt(7);
                    Integer attempts = rs.wasNull() ? null : a;
                    byte[] p = rs.getBytes(8);
                    return new DeadLetter(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), attempts, p == null ? null : new String(p, StandardCharsets.UTF_8),
                            rs.getTimestamp(9).toInstant());
                })
                .list();
        return new Page<>(items, page, size, total);
    }

    /** Text from a message header: no NUL (PostgreSQL refuses it in text), at most a few thousand characters. */
    private static String cut(String s) {
        if (s == null) return null;
        s = s.replace('\0', ' ');
        return s.length() > MAX_TEXT ? s.substring(0, MAX_TEXT) : s;
    }
}
