// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.Uuid;

import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.kafka.KafkaSettings;
import io.cryostash.schema.event.Topics;
import io.cryostash.stack.FreePorts;
import io.cryostash.stack.KafkaBroker;
import io.cryostash.stack.S3Server;
import io.cryostash.store.backend.S3Config;

/**
 * A real Kafka broker (KRaft, SASL/SCRAM) and a real S3 server (S3Proxy) in the test JVM, in one
 * directory, with agent settings that reach them. The broker and the S3 server can each be
 * stopped and started again on the same ports and data (an outage).
 */
public final class TestStack implements AutoCloseable {
    public static final String S3_ACCESS = "stack-test-access";
    public static final String S3_SECRET = "stack-test-secret-0123456789";
    private static final AtomicInteger PREFIX = new AtomicInteger();

    private final Path dir;
    private final KafkaBroker.Settings kafkaSettings;
    private final String bindAddress;
    private KafkaBroker broker;
    private S3Server s3;
    private int s3Port;
    private final String prefix = "t" + System.nanoTime() % 100000 + "-" + PREFIX.incrementAndGet();

    public TestStack(Path dir) throws Exception {
        this(dir, "127.0.0.1", "127.0.0.1");
    }

    /** @param bindAddress where the broker and S3 listen; {@code advertised} what clients are told */
    public TestStack(Path dir, String bindAddress, String advertised) throws Exception {
        this.dir = dir;
        this.bindAddress = bindAddress;
        kafkaSettings = new KafkaBroker.Settings(dir.resolve("kafka"), Uuid.randomUuid().toString(), bindAddress, advertised,
                FreePorts.pick(bindAddress), FreePorts.pick("127.0.0.1"), "agents", "kafka-secret-" + System.nanoTime(),
                "controller-secret");
        startBroker();
        broker.createTopics(Topics.ALL);
        startS3();
    }

    public void startS3() throws Exception {
        s3 = new S3Server(dir.resolve("s3"), bindAddress, s3Port, S3_ACCESS, S3_SECRET, "cryostash",
                Duration.ofSeconds(20));
        s3Port = s3.port();
    }

    public void stopS3() throws Exception {
        s3.close();
        s3 = null;
    }

    public void startBroker() {
        broker = KafkaBroker.start(kafkaSettings, Duration.ofSeconds(90));
    }

    public void stopBroker() {
        broker.close();
        broker = null;
    }

    public KafkaSettings kafka() {
        return new KafkaSettings(kafkaSettings.bootstrap(), "SASL_PLAINTEXT", "SCRAM-SHA-256", kafkaSettings.username(),
                kafkaSettings.password());
    }

    public KafkaBroker.Settings kafkaSettings() {
        return kafkaSettings;
    }

    public String s3Endpoint() {
        return "http://" + bindAddress + ":" + s3Port;
    }

    public String store() {
        return "s3://cryostash/" + prefix;
    }

    public S3Config.Overrides s3() {
        return new S3Config.Overrides(s3Endpoint(), "us-east-1", S3_ACCESS, S3_SECRET);
    }

    /** Settings of an agent for {@code hostId} with state under {@code home}, quick retries, no catalog. */
    public AgentSettings agent(String hostId, Path home) {
        return agent(hostId, home, null, null);
    }

    public AgentSettings agent(String hostId, Path home, String catalogUrl, String enrolToken) {
        return new AgentSettings(hostId, catalogUrl, enrolToken, kafka(), store(), s3(), null, home, dir.resolve("logs"),
                Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofSeconds(2), 3);
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws Exception {
        if (broker != null) broker.close();
        if (s3 != null) s3.close();
    }
}
