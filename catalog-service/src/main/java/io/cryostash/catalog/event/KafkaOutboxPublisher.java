// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.event;

import java.nio.charset.StandardCharsets;
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

/**
 * Publishes outbox events to Kafka: the row's topic, key (the target host) and JSON value, header
 * {@link Topics#HEADER_TYPE} with the event type. Waits for the broker's acknowledgement (acks=all,
 * idempotent producer) up to the send timeout, so a row is marked published only once Kafka has it.
 * The topics are created on the first send that finds the broker, not only at start-up: a catalog
 * started while the broker was away still creates them when it comes.
 */
public class KafkaOutboxPublisher implements OutboxRelay.OutboxPublisher {

    private final KafkaTemplate<String, byte[]> template;
    private final KafkaAdmin admin;
    private final KafkaSettings settings;
    private volatile boolean topicsReady;

    public KafkaOutboxPublisher(KafkaTemplate<String, byte[]> template, KafkaAdmin admin, KafkaSettings settings) {
        this.template = template;
        this.admin = admin;
        this.settings = settings;
    }

    @Override
    public void publish(OutboxEvent event) throws Exception {
        if (!topicsReady) topicsReady = admin.initialize();
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(event.topic(), event.key(),
                event.payload().getBytes(StandardCharsets.UTF_8));
        record.headers().add(Topics.HEADER_TYPE, event.eventType().getBytes(StandardCharsets.UTF_8));
        try {
            template.send(record).get(settings.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof org.springframework.kafka.KafkaException k && k.getCause() != null
                    ? k.getCause() : e.getCause();
            if (cause instanceof RecordTooLargeException || cause instanceof InvalidTopicException
                    || cause instanceof SerializationException) {
                throw new OutboxRelay.UnpublishableEventException(cause.toString(), cause);
            }
            throw e;
        } catch (TimeoutException e) {
            throw new TimeoutException("Kafka did not acknowledge event " + event.eventId() + " within " + settings.sendTimeout());
        }
    }
}
