// SPDX-License-Identifier: Apache-2.0
package io.cryostash.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaBrokerTest {
    @TempDir
    Path dir;

    private KafkaBroker.Settings settings(int port, int controllerPort) {
        return new KafkaBroker.Settings(dir.resolve("kafka"), Uuid.randomUuid().toString(), "127.0.0.1", "127.0.0.1",
                port, controllerPort, "cryostash", "client-secret", "controller-secret");
    }

    @Test
    void keepsMessagesAcrossRestartsAndRefusesWrongPasswords() throws Exception {
        KafkaBroker.Settings s = settings(FreePorts.pick("127.0.0.1"), FreePorts.pick("127.0.0.1"));
        try (KafkaBroker broker = KafkaBroker.start(s, Duration.ofSeconds(60))) {
            broker.createTopics(List.of("t1"));
            Map<String, Object> p = new HashMap<>(broker.clientProperties());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("t1", "host-a", "hello")).get(30, TimeUnit.SECONDS);
            }
            Map<String, Object> bad = new HashMap<>(KafkaBroker.clientProperties(broker.bootstrap(), "cryostash", "wrong"));
            bad.put("default.api.timeout.ms", 5000);
            bad.put("request.timeout.ms", 5000);
            try (Admin admin = Admin.create(bad)) {
                assertThatThrownBy(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS))
                        .hasMessageContaining("Authentication failed");
            }
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(s.dataDir().resolve("server.properties"))))
                .isEqualTo("rw-------");
        try (KafkaBroker again = KafkaBroker.start(s, Duration.ofSeconds(60))) {
            Map<String, Object> c = new HashMap<>(again.clientProperties());
            c.put("group.id", "g");
            c.put("auto.offset.reset", "earliest");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of("t1"));
                long deadline = System.nanoTime() + 30_000_000_000L;
                ConsumerRecords<String, String> got = ConsumerRecords.empty();
                while (got.isEmpty() && System.nanoTime() < deadline) {
                    got = consumer.poll(Duration.ofMillis(500));
                }
                assertThat(got.iterator().next().value()).isEqualTo("hello");
            }
        }
    }
}
