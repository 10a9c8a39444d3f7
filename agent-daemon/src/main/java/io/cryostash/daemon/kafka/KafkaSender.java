// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends one message and waits for the broker's acknowledgement (acks=all, idempotent producer).
 *
 * <p>A send that is not acknowledged in time stays with the producer, which keeps retrying it for
 * {@link #DELIVERY_TIMEOUT}; asked to send the same message again, this waits for that attempt
 * instead of handing the producer a second copy. Kafka's idempotence drops a retried batch the
 * broker already wrote only while it is the producer's own retry: a copy sent anew after a timeout
 * gets a new sequence number, and a broker that wrote the first before it went away (its answer
 * lost) would then keep both.
 */
public final class KafkaSender implements Spool.Sender, AutoCloseable {
    /** Long enough for a broker restart; a spooled message waits on disk meanwhile either way. */
    static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(10);

    private final KafkaProducer<String, byte[]> producer;
    private final long timeoutMs;
    private final Map<Identity, Future<RecordMetadata>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger handedOver = new AtomicInteger();

    /** A message by its content: the same bytes are the same report (each carries its request id and time). */
    private record Identity(String topic, String key, ByteBuffer value) {
        static Identity of(OutgoingMessage m) {
            return new Identity(m.topic(), m.key(), ByteBuffer.wrap(m.value()));
        }
    }

    /** @param timeoutMs how long one send waits for the broker before it counts as failed for now */
    public KafkaSender(KafkaSettings kafka, String clientId, long timeoutMs) {
        this(kafka, clientId, timeoutMs, Map.of());
    }

    /** @param overrides producer settings a test needs on top of the agent's own */
    KafkaSender(KafkaSettings kafka, String clientId, long timeoutMs, Map<String, Object> overrides) {
        Map<String, Object> p = new HashMap<>(kafka.clientProperties());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeoutMs);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeoutMs, Integer.MAX_VALUE));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) Math.max(DELIVERY_TIMEOUT.toMillis(), timeoutMs));
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2000);
        p.putAll(overrides);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.timeoutMs = timeoutMs;
    }

    @Override
    public void send(OutgoingMessage m) throws Exception {
        Identity id = Identity.of(m);
        Future<RecordMetadata> f = pending.get(id);
        if (f == null || (f.isDone() && failed(f))) {
            ProducerRecord<String, byte[]> r = new ProducerRecord<>(m.topic(), m.key(), m.value());
            m.headers().forEach((k, v) -> r.headers().add(k, v));
            f = producer.send(r); // blocks at most max.block.ms for metadata; nothing is pending if it throws
            handedOver.incrementAndGet();
            pending.put(id, f);
        }
        try {
            f.get(timeoutMs, TimeUnit.MILLISECONDS);
            pending.remove(id);
        } catch (TimeoutException stillTrying) {
            throw new TimeoutException("the broker has not acknowledged it within " + timeoutMs
                    + " ms; the producer keeps retrying it");
        } catch (ExecutionException e) {
            pending.remove(id);
            throw e;
        }
    }

    private static boolean failed(Future<?> done) {
        try {
            done.get();
            return false;
        } catch (Exception e) {
            return true;
        }
    }

    /** How many records were handed to the producer (each retry of the same message waits on the first). */
    int handedOver() {
        return handedOver.get();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
