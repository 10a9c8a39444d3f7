// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog;

import java.nio.file.Files;
import java.nio.file.Path;

import io.cryostash.store.backend.S3Config;
import io.cryostash.store.backend.S3ProxyFixture;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * One Kafka broker (KRaft, broker and controller in one node) and one S3 server for the whole test
 * JVM, started by the first {@link PipelineTest} context and stopped when the JVM exits; the catalog
 * is pointed at them through its ordinary settings (spring.kafka.bootstrap-servers,
 * cryostash.catalog.store and s3-*). The broker listens on a fixed port for its lifetime, so a test
 * can stop and start it and clients find it again.
 */
public final class PipelineInfrastructure implements ApplicationContextInitializer<ConfigurableApplicationContext> {

    private static EmbeddedKafkaKraftBroker broker;
    private static S3ProxyFixture s3;
    private static S3Config store;

    static synchronized void start() throws Exception {
        if (broker != null) return;
        broker = new EmbeddedKafkaKraftBroker(1, 1);
        broker.brokerProperty("group.initial.rebalance.delay.ms", "0");
        broker.brokerProperty("log.cleaner.dedupe.buffer.size", "2097152");
        broker.afterPropertiesSet();
        Path dir = Files.createTempDirectory("cryostash-catalog-s3");
        s3 = new S3ProxyFixture(dir);
        store = s3.freshConfig();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                broker.destroy();
                s3.close();
            } catch (Exception ignored) {
                // the JVM is going
            }
        }));
    }

    public static synchronized EmbeddedKafkaKraftBroker broker() {
        return broker;
    }

    /** The bucket and prefix the catalog reads manifests from. */
    public static synchronized S3Config store() {
        return store;
    }

    @Override
    public void initialize(ConfigurableApplicationContext ctx) {
        try {
            start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the test's Kafka broker or S3 server", e);
        }
        TestPropertyValues.of(
                "spring.kafka.bootstrap-servers=" + broker.getBrokersAsString(),
                "cryostash.catalog.store=" + store.uri(),
                "cryostash.catalog.s3-endpoint=" + store.endpoint(),
                "cryostash.catalog.s3-access-key=" + store.accessKey(),
                "cryostash.catalog.s3-secret-key=" + store.secretKey(),
                "cryostash.catalog.s3-region=" + store.region()).applyTo(ctx);
    }
}
