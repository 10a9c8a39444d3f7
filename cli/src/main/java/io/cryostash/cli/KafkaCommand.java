// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.common.Uuid;

import io.cryostash.daemon.state.PrivateFiles;
import io.cryostash.schema.event.Topics;
import io.cryostash.stack.KafkaBroker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "kafka", description = {"Run a single-node Kafka broker (KRaft) with SASL/SCRAM-SHA-256 until stopped:"
        + " the broker of docker-compose.yml and of cryostash up, for a deployment without a Kafka of its own."})
final class KafkaCommand implements Callable<Integer> {
    static final String ENV_USERNAME = "CRYOSTASH_KAFKA_USERNAME";
    static final String ENV_PASSWORD = "CRYOSTASH_KAFKA_PASSWORD";
    static final String ENV_CONTROLLER_PASSWORD = "CRYOSTASH_KAFKA_CONTROLLER_PASSWORD";

    @Option(names = "--data-dir", paramLabel = "<dir>", defaultValue = "/var/lib/cryostash/kafka", description = "log directory (default: ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--listen", paramLabel = "<address>", defaultValue = "0.0.0.0", description = "client listener address (default: ${DEFAULT-VALUE})")
    String listen;

    @Option(names = "--advertise", paramLabel = "<host>", defaultValue = "kafka", description = "host name clients connect to (default: ${DEFAULT-VALUE})")
    String advertise;

    @Option(names = "--port", defaultValue = "9092", description = "client port (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--controller-port", defaultValue = "9093", description = "controller port, on loopback (default: ${DEFAULT-VALUE})")
    int controllerPort;

    @Override
    public Integer call() throws Exception {
        String user = require(ENV_USERNAME);
        String password = require(ENV_PASSWORD);
        String controller = require(ENV_CONTROLLER_PASSWORD);
        Files.createDirectories(dataDir);
        Path idFile = dataDir.resolve("cluster-id");
        if (!Files.exists(idFile)) PrivateFiles.writeAtomically(idFile, Uuid.randomUuid().toString().getBytes(StandardCharsets.US_ASCII));
        String clusterId = Files.readString(idFile).trim();
        KafkaBroker broker = KafkaBroker.start(new KafkaBroker.Settings(dataDir, clusterId, listen, advertise, port, controllerPort,
                user, password, controller), Duration.ofMinutes(3));
        broker.createTopics(Topics.ALL);
        System.out.println("Kafka " + broker.bootstrap() + " (SASL_PLAINTEXT, SCRAM-SHA-256, user " + user + ") running");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            stopped.countDown();
        }, "kafka-shutdown"));
        stopped.await();
        return 0;
    }

    private static String require(String env) {
        String v = System.getenv(env);
        if (v == null || v.isBlank()) throw new IllegalArgumentException("set " + env);
        return v;
    }
}
