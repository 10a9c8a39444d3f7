// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Sends one message and waits for the broker's acknowledgement (acks=all, idempotent producer). */
public final class KafkaSender implements Spool.Sender, AutoCloseable {
    private final KafkaProducer<String, byte[]> producer;
    private final long timeoutMs;

    /** @param timeoutMs how long one send may wait for the broker before it counts as failed */
    public KafkaSender(KafkaSettings kafka, String clientId, long timeoutMs) {
        Map<String, Object> p = new HashMap<>(kafka.clientProperties());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, Integer.MAX_VALUE));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, Integer.MAX_VALUE));
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2000);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.timeoutMs = timeoutMs;
    }

    @Override
    public void send(OutgoingMessage m) throws Exception {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(m.topic(), m.key(), m.value());
        m.headers().forEach((k, v) -> r.headers().add(k, v));
        producer.send(r).get(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
