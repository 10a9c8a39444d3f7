// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.event;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.cryostash.catalog.outbox.OutboxEvent;
import io.cryostash.catalog.outbox.OutboxRelay;
import io.cryostash.schema.event.Topics;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;

/**
 * Publishes outbox events to Kafka: the row's topic, key (the target host) and JSON value, header
 * {@link Topics#HEADER_TYPE} with the event type. Waits for the broker's acknowledgement (acks=all,
 * idempotent producer) up to the send timeout, so a row is marked published only once Kafka has it.
 * The topics are created on the first send that finds the broker, not only at start-up: a catalog
 * started while the broker was away still creates them when it comes.
 *
 * <p>A send not acknowledged within the timeout stays with the producer, which retries it (its
 * delivery timeout is minutes); the relay's next round waits for that send rather than handing the
 * producer a second copy. Kafka drops a duplicate only among the producer's own retries: a copy sent
 * anew could land beside a first the broker wrote before its answer was lost.
 */
public class KafkaOutboxPublisher implements OutboxRelay.OutboxPublisher {

    private final KafkaTemplate<String, byte[]> template;
    private final KafkaAdmin admin;
    private final KafkaSettings settings;
    private final Map<UUID, CompletableFuture<SendResult<String, byte[]>>> pending = new ConcurrentHashMap<>();
    private volatile boolean topicsReady;

    public KafkaOutboxPublisher(KafkaTemplate<String, byte[]> template, KafkaAdmin admin, KafkaSettings settings) {
        this.template = template;
        this.admin = admin;
        this.settings = settings;
    }

    @Override
    public void publish(OutboxEvent event) throws Exception {
        if (!topicsReady) topicsReady = admin.initialize();
        CompletableFuture<SendResult<String, byte[]>> sent = pending.get(event.eventId());
        if (sent == null || sent.isCompletedExceptionally()) {
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(event.topic(), event.key(),
                    event.payload().getBytes(StandardCharsets.UTF_8));
            record.headers().add(Topics.HEADER_TYPE, event.eventType().getBytes(StandardCharsets.UTF_8));
            sent = template.send(record);
            pending.put(event.eventId(), sent);
        }
        try {
            sent.get(settings.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
            pending.remove(event.eventId());
        } catch (ExecutionException e) {
            pending.remove(event.eventId());
            Throwable cause = e.getCause() instanceof org.springframework.kafka.KafkaException k && k.getCause() != null
                    ? k.getCause() : e.getCause();
            if (cause instanceof RecordTooLargeException || cause instanceof InvalidTopicException
                    || cause instanceof SerializationException) {
                throw new OutboxRelay.UnpublishableEventException(cause.toString(), cause);
            }
            throw e;
        } catch (TimeoutException e) {
            throw new TimeoutException("Kafka did not acknowledge event " + event.eventId() + " within "
                    + settings.sendTimeout() + "; the producer keeps retrying it");
        }
    }
}
