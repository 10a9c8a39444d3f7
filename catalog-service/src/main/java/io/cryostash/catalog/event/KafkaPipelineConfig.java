// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.event;

import java.util.HashMap;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.deadletter.DeadLetterListener;
import io.cryostash.catalog.deadletter.DeadLetterRepository;
import io.cryostash.catalog.image.CheckpointRegistrar;
import io.cryostash.catalog.restore.RestoreService;
import io.cryostash.catalog.snapshot.SnapshotService;
import io.cryostash.catalog.store.CatalogStore;
import io.cryostash.catalog.system.DatabaseUnavailable;
import io.cryostash.schema.event.InvalidEventException;
import io.cryostash.schema.event.Topics;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.ExponentialBackOffWithMaxRetries;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.util.backoff.ExponentialBackOff;

/**
 * Kafka for the catalog, only when {@code spring.kafka.bootstrap-servers} is set (without it the
 * catalog runs as before: events wait in the outbox). The connection (servers, security protocol,
 * SASL) comes from {@code spring.kafka.*}; what the pipeline contract fixes is set here and cannot be
 * configured away: acks=all and idempotence for the producer, manual commits after the work for the
 * consumers (group {@code cryostash-catalog}), String keys (host ids) and byte values (the signature
 * covers the exact bytes).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty("spring.kafka.bootstrap-servers")
@EnableConfigurationProperties(KafkaSettings.class)
public class KafkaPipelineConfig {

    private static final Logger log = LoggerFactory.getLogger(KafkaPipelineConfig.class);

    @Bean
    ProducerFactory<String, byte[]> pipelineProducerFactory(KafkaProperties kafka, KafkaSettings settings) {
        Map<String, Object> p = new HashMap<>(kafka.buildProducerProperties());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        // A send waits this long for metadata while the broker is away, then fails: the outbox keeps the
        // event for the relay's next round instead of holding its thread for the default minute.
        int timeout = (int) settings.sendTimeout().toMillis();
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout);
        // an unacknowledged send stays with the producer, whose own retries Kafka deduplicates
        // (KafkaOutboxPublisher waits on it rather than sending again): long enough for a broker restart
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Math.max(10 * 60_000, 2 * timeout));
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new DefaultKafkaProducerFactory<>(p);
    }

    @Bean
    KafkaTemplate<String, byte[]> pipelineKafkaTemplate(ProducerFactory<String, byte[]> pipelineProducerFactory) {
        return new KafkaTemplate<>(pipelineProducerFactory);
    }

    @Bean
    KafkaAdmin pipelineKafkaAdmin(KafkaProperties kafka, KafkaSettings settings) {
        KafkaAdmin admin = new KafkaAdmin(kafka.buildAdminProperties());
        admin.setFatalIfBrokerNotAvailable(false);
        admin.setOperationTimeout((int) Math.max(1, settings.sendTimeout().toSeconds()));
        return admin;
    }

    /** The contract's topics, keyed by host: created at start-up, or by the relay once the broker is there. */
    @Bean
    KafkaAdmin.NewTopics pipelineTopics(KafkaSettings settings) {
        return new KafkaAdmin.NewTopics(Topics.ALL.stream()
                .map(t -> TopicBuilder.name(t).partitions(settings.partitions()).replicas(settings.replicationFactor()).build())
                .toArray(NewTopic[]::new));
    }

    @Bean
    @Order(0)
    KafkaOutboxPublisher kafkaOutboxPublisher(KafkaTemplate<String, byte[]> pipelineKafkaTemplate, KafkaAdmin pipelineKafkaAdmin,
                                              KafkaSettings settings) {
        return new KafkaOutboxPublisher(pipelineKafkaTemplate, pipelineKafkaAdmin, settings);
    }

    @Bean
    ConsumerFactory<String, byte[]> pipelineConsumerFactory(KafkaProperties kafka) {
        Map<String, Object> p = new HashMap<>(kafka.buildConsumerProperties());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, CatalogEventListeners.GROUP);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return new DefaultKafkaConsumerFactory<>(p);
    }

    @Bean
    DeadLetterRecoverer deadLetterRecoverer(KafkaTemplate<String, byte[]> pipelineKafkaTemplate, AuditLog audit,
                                            PlatformTransactionManager transactions, KafkaSettings settings) {
        return new DeadLetterRecoverer(pipelineKafkaTemplate, audit, new TransactionTemplate(transactions), settings.retries(),
                settings.sendTimeout());
    }

    /**
     * Retries with exponential backoff, then the dead-letter topic; refusals go there at once; an
     * unreachable database is waited for.
     */
    @Bean
    ConcurrentKafkaListenerContainerFactory<String, byte[]> pipelineListenerFactory(
            ConsumerFactory<String, byte[]> pipelineConsumerFactory, DeadLetterRecoverer recoverer, KafkaSettings settings) {
        ExponentialBackOffWithMaxRetries backOff = new ExponentialBackOffWithMaxRetries(settings.retries());
        backOff.setInitialInterval(settings.backoff().toMillis());
        backOff.setMultiplier(2);
        backOff.setMaxInterval(settings.maxBackoff().toMillis());
        DefaultErrorHandler errors = new DefaultErrorHandler(recoverer, backOff);
        errors.addNotRetryableExceptions(EventRefusedException.class, InvalidEventException.class);
        // The database away (stopped, restarting) is no fault of the event: retry it, with backoff, until
        // the database is back, never park it as a dead letter. The partition waits meanwhile; its
        // offset is committed only after the work is done, so nothing is lost or done twice.
        ExponentialBackOff untilTheDatabaseIsBack = new ExponentialBackOff(settings.backoff().toMillis(), 2);
        untilTheDatabaseIsBack.setMaxInterval(Math.max(settings.maxBackoff().toMillis(), 1));
        errors.setBackOffFunction((record, e) -> DatabaseUnavailable.is(e) ? untilTheDatabaseIsBack : null);
        errors.setCommitRecovered(true);
        return factory(pipelineConsumerFactory, errors);
    }

    /** For the dead-letter topic itself: retried for as long as it fails (a dead letter of a dead letter would loop). */
    @Bean
    ConcurrentKafkaListenerContainerFactory<String, byte[]> deadLetterListenerFactory(
            ConsumerFactory<String, byte[]> pipelineConsumerFactory, KafkaSettings settings) {
        ExponentialBackOff backOff = new ExponentialBackOff(settings.backoff().toMillis(), 2);
        backOff.setMaxInterval(settings.maxBackoff().toMillis());
        return factory(pipelineConsumerFactory, new DefaultErrorHandler(backOff));
    }

    private static ConcurrentKafkaListenerContainerFactory<String, byte[]> factory(ConsumerFactory<String, byte[]> consumers,
                                                                                DefaultErrorHandler errors) {
        var f = new ConcurrentKafkaListenerContainerFactory<String, byte[]>();
        f.setConsumerFactory(consumers);
        f.getContainerProperties().setAckMode(ContainerProperties.AckMode.MANUAL_IMMEDIATE);
        f.setCommonErrorHandler(errors);
        return f;
    }

    @Bean
    CatalogEventListeners catalogEventListeners(MessageSignatures signatures, CheckpointRegistrar registrar,
                                                SnapshotService snapshots, RestoreService restores, CatalogStore store) {
        if (!store.configured()) {
            log.warn("No store configured (cryostash.catalog.store): checkpoint.completed events are not consumed and wait "
                    + "in Kafka until the catalog can read and verify their manifests");
        }
        return new CatalogEventListeners(signatures, registrar, snapshots, restores);
    }

    @Bean
    DeadLetterListener deadLetterListener(DeadLetterRepository letters) {
        return new DeadLetterListener(letters);
    }
}
