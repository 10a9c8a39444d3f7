// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.cryostash.agent.testing.Poll;
import io.cryostash.daemon.kafka.KafkaSettings;
import io.cryostash.schema.event.Event;
import io.cryostash.schema.event.EventCodec;
import io.cryostash.schema.event.Topics;

/**
 * Reads everything on the given topics from the beginning (a consumer group of its own) into a list
 * the test can wait on, and sends requests as the catalog's outbox would.
 */
public final class EventTap implements AutoCloseable {
    /** A message as it arrived. */
    public record Message(String topic, String key, Map<String, String> headers, byte[] value) {
        public String type() {
            return headers.get(Topics.HEADER_TYPE);
        }

        public String text() {
            return new String(value, StandardCharsets.UTF_8);
        }

        public <T extends Event> T as(Class<T> type) {
            return new EventCodec().decode(value, type);
        }
    }

    private final List<Message> seen = new CopyOnWriteArrayList<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final Thread thread;
    private volatile boolean running = true;
    private final EventCodec codec = new EventCodec();

    public EventTap(KafkaSettings kafka, List<String> topics) {
        Map<String, Object> c = new HashMap<>(kafka.clientProperties());
        c.put("group.id", "tap-" + UUID.randomUUID());
        c.put("auto.offset.reset", "earliest");
        c.put("reconnect.backoff.max.ms", 1000);
        consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(topics);
        Map<String, Object> p = new HashMap<>(kafka.clientProperties());
        p.put("acks", "all");
        p.put("max.block.ms", 20000);
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        thread = new Thread(this::run, "event-tap");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    Map<String, String> h = new HashMap<>();
                    for (Header x : r.headers()) h.put(x.key(), new String(x.value(), StandardCharsets.UTF_8));
                    seen.add(new Message(r.topic(), r.key(), h, r.value()));
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    /** Sends an event with its type header, keyed by {@code key}, and waits for the broker. */
    public void send(String topic, String key, String type, Event e) {
        send(topic, key, type, codec.encode(e));
    }

    public void send(String topic, String key, String type, byte[] value) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, key, value);
        if (type != null) r.headers().add(Topics.HEADER_TYPE, type.getBytes(StandardCharsets.UTF_8));
        try {
            producer.send(r).get();
        } catch (Exception ex) {
            throw new IllegalStateException("cannot send to " + topic + ": " + ex, ex);
        }
    }

    public List<Message> all() {
        return new ArrayList<>(seen);
    }

    public List<Message> on(String topic, Predicate<Message> p) {
        return seen.stream().filter(m -> m.topic().equals(topic) && p.test(m)).toList();
    }

    /** Waits for a message on {@code topic} matching {@code p} and returns the first. */
    public Message await(String topic, Predicate<Message> p, Duration timeout, String what) {
        Poll.until(timeout, () -> what + "; seen: " + seen.stream().map(m -> m.topic() + " " + m.text()).toList(),
                () -> !on(topic, p).isEmpty());
        return on(topic, p).get(0);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
    }
}
