// SPDX-License-Identifier: Apache-2.0
package io.cryostash.stack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka broker (KRaft: broker and controller in one) in this JVM, as the
 * all-in-one stack and the end-to-end tests run it.
 *
 * <p>Locked down as a production broker would be: clients authenticate with SASL/SCRAM-SHA-256
 * (the user is created in the metadata log when the log directory is formatted, KIP-900), and the
 * controller listener, which is only for the node itself, with SASL/PLAIN and a password of its own.
 * The data directory keeps the log and the generated {@code server.properties} (mode 0600: it
 * holds both passwords); a second start on the same directory keeps the topics, offsets and users.
 */
public final class KafkaBroker implements AutoCloseable {
    /** The client user the broker's SCRAM mechanism knows (created at format time). */
    public static final String MECHANISM = "SCRAM-SHA-256";
    private static final String CONTROLLER_USER = "controller";

    private final Settings settings;
    private final KafkaRaftServer server;

    /**
     * @param dataDir            log directory and configuration; created when absent
     * @param clusterId          Kafka cluster id (22 characters of base64, {@code Uuid.randomUuid().toString()})
     * @param bindAddress        where the client listener listens (loopback unless the user asks)
     * @param advertisedHost     the host name or address clients are told to connect to
     * @param port               client port
     * @param controllerPort     the controller's own port, on loopback
     * @param username           SCRAM user of the clients (catalog and agents)
     * @param password           its password
     * @param controllerPassword SASL/PLAIN password of the controller listener
     */
    public record Settings(Path dataDir, String clusterId, String bindAddress, String advertisedHost, int port,
                           int controllerPort, String username, String password, String controllerPassword) {
        public String bootstrap() {
            return advertisedHost + ":" + port;
        }

        @Override
        public String toString() { // no passwords in logs
            return "Kafka " + bootstrap() + " (" + dataDir + ")";
        }
    }

    private KafkaBroker(Settings settings, KafkaRaftServer server) {
        this.settings = settings;
        this.server = server;
    }

    /** Formats the log directory on first use, starts the node and waits until it takes clients. */
    public static KafkaBroker start(Settings s, Duration timeout) {
        try {
            Files.createDirectories(s.dataDir());
            Path logDir = s.dataDir().resolve("log");
            Properties props = properties(s, logDir);
            Path config = s.dataDir().resolve("server.properties");
            writePrivate(config, props);
            if (!Files.exists(logDir.resolve("meta.properties"))) {
                format(config, s);
            }
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
            server.startup();
            KafkaBroker broker = new KafkaBroker(s, server);
            try {
                broker.awaitReady(timeout);
            } catch (RuntimeException e) {
                broker.close();
                throw e;
            }
            return broker;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Kafka in " + s.dataDir() + ": " + e.getMessage(), e);
        }
    }

    private static Properties properties(Settings s, Path logDir) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + s.controllerPort());
        p.put("listeners", "CLIENTS://" + s.bindAddress() + ":" + s.port() + ",CONTROLLER://127.0.0.1:" + s.controllerPort());
        p.put("advertised.listeners", "CLIENTS://" + s.bootstrap());
        p.put("listener.security.protocol.map", "CLIENTS:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
        p.put("inter.broker.listener.name", "CLIENTS");
        p.put("controller.listener.names", "CONTROLLER");
        p.put("sasl.enabled.mechanisms", MECHANISM);
        p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
        p.put("listener.name.clients.scram-sha-256.sasl.jaas.config", scramJaas(s.username(), s.password()));
        // the controller listener cannot use SCRAM before the metadata log is readable: PLAIN with a static user
        p.put("sasl.mechanism.controller.protocol", "PLAIN");
        p.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
        p.put("listener.name.controller.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + CONTROLLER_USER
                        + "\" password=\"" + s.controllerPassword() + "\" user_" + CONTROLLER_USER + "=\""
                        + s.controllerPassword() + "\";");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // the default allocates a 128 MiB heap buffer for compaction nobody here needs
        p.put("log.cleaner.dedupe.buffer.size", "2097152");
        p.put("auto.create.topics.enable", "false");
        return p;
    }

    static String scramJaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    private static void format(Path config, Settings s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = StorageTool.execute(new String[] {"format", "-t", s.clusterId(), "-c", config.toString(),
                "--add-scram", MECHANISM + "=[name=" + s.username() + ",password=" + s.password() + "]"},
                new PrintStream(out, true, StandardCharsets.UTF_8));
        if (rc != 0) {
            throw new IllegalStateException("formatting the Kafka log directory failed: " + out.toString(StandardCharsets.UTF_8));
        }
    }

    private static void writePrivate(Path file, Properties p) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (var w = Files.newBufferedWriter(tmp)) {
            p.store(w, "written by Cryostash at every start; holds passwords");
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Client settings (SASL/SCRAM) for this broker, for producers, consumers and admin clients. */
    public Map<String, Object> clientProperties() {
        return clientProperties(settings.bootstrap(), settings.username(), settings.password());
    }

    public static Map<String, Object> clientProperties(String bootstrap, String user, String password) {
        return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                "security.protocol", "SASL_PLAINTEXT",
                "sasl.mechanism", MECHANISM,
                "sasl.jaas.config", scramJaas(user, password));
    }

    /** Creates these topics (one partition each) when they do not exist. */
    public void createTopics(List<String> names) {
        try (Admin admin = Admin.create(clientProperties())) {
            List<NewTopic> topics = new ArrayList<>();
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (String n : names) {
                if (!existing.contains(n)) topics.add(new NewTopic(n, 1, (short) 1));
            }
            if (topics.isEmpty()) return;
            try {
                admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) throw new IllegalStateException("creating topics: " + e.getCause(), e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("creating topics " + names + " failed: " + e, e);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = Admin.create(clientProperties())) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while Kafka started", e);
            } catch (ExecutionException | TimeoutException e) {
                last = e;
            }
        }
        throw new IllegalStateException("Kafka did not take clients within " + timeout + ": " + last);
    }

    public Settings settings() {
        return settings;
    }

    public String bootstrap() {
        return settings.bootstrap();
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }
}
