// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.up;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.context.ConfigurableApplicationContext;

import io.cryostash.catalog.CatalogLauncher;
import io.cryostash.catalog.bootstrap.ClientCredentials;
import io.cryostash.catalog.bootstrap.StackBootstrap;
import io.cryostash.daemon.AgentDaemon;
import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.daemon.kafka.KafkaSettings;
import io.cryostash.schema.event.Topics;
import io.cryostash.stack.KafkaBroker;
import io.cryostash.stack.S3Server;
import io.cryostash.store.backend.S3Config;

/**
 * {@code cryostash up}: the whole system on one machine, in this JVM. A Kafka broker (KRaft,
 * SASL/SCRAM), an S3 server on a local directory (or a plain directory store), the catalog with its
 * embedded PostgreSQL and Kafka consumers, and the agent of this host; then the client config that
 * lets the CLI and further agents on this machine join with no flags. Everything generated lives in
 * the data directory and is reused by the next start.
 *
 * @param port       catalog HTTP port (0: any)
 * @param dataDir    kafka/, s3/, catalog/ (the database, unless {@link StackDatabaseDir} puts it elsewhere for root)
 *                   and stack.properties
 * @param storeDir   a directory store instead of the S3 server, or null
 * @param hostId     this host's agent
 * @param listen     address Kafka and S3 listen on (loopback by default)
 * @param advertise  host name clients use for Kafka and S3 (default: the listen address)
 * @param home       $CRYOSTASH_HOME of the agents (per-host state under agents/)
 * @param configFile where the client config goes
 * @param agent      whether to run this host's agent
 */
public record AllInOne(int port, Path dataDir, Path storeDir, String hostId, String listen, String advertise, Path home,
                       Path configFile, boolean agent) {

    public static final String BUCKET = "cryostash";
    public static final String REGION = "us-east-1";

    /** A running stack; {@link #close()} stops it in reverse order. */
    public static final class Running implements AutoCloseable {
        private final List<AutoCloseable> parts = new ArrayList<>();
        private String catalogUrl;
        private Path catalogDataDir;
        private String kafka;
        private String s3;
        private ClientCredentials credentials;
        private AgentDaemon agentDaemon;
        private ClientConfig clientConfig;
        private KafkaBroker.Settings brokerSettings;
        private volatile KafkaBroker broker;

        /** Stops the broker alone (an outage: the catalog's outbox and the agents' spools hold what they must send). */
        public synchronized void stopBroker() {
            if (broker != null) {
                broker.close();
                broker = null;
            }
        }

        /** Starts the broker again on the same ports and data. */
        public synchronized void startBroker() {
            if (broker == null) broker = KafkaBroker.start(brokerSettings, Duration.ofSeconds(120));
        }

        public String catalogUrl() {
            return catalogUrl;
        }

        public String kafka() {
            return kafka;
        }

        /** Where the catalog's embedded PostgreSQL keeps its data ({@link StackDatabaseDir}). */
        public Path catalogDataDir() {
            return catalogDataDir;
        }

        public String s3Endpoint() {
            return s3;
        }

        /** The catalog's answer: tokens and, on the very first start, the administrator's password. */
        public ClientCredentials credentials() {
            return credentials;
        }

        public AgentDaemon agent() {
            return agentDaemon;
        }

        public ClientConfig clientConfig() {
            return clientConfig;
        }

        @Override
        public void close() {
            for (int i = parts.size() - 1; i >= 0; i--) {
                try {
                    parts.get(i).close();
                } catch (Exception e) {
                    System.err.println("cryostash up: stopping " + parts.get(i).getClass().getSimpleName() + ": " + e.getMessage());
                }
            }
            parts.clear();
        }
    }

    public Running start() throws Exception {
        String adv = advertise != null ? advertise : listen;
        StackSecrets secrets = StackSecrets.loadOrCreate(dataDir, listen);
        Running r = new Running();
        try {
            KafkaBroker.Settings ks = new KafkaBroker.Settings(dataDir.resolve("kafka"), secrets.get("kafka.cluster-id"), listen,
                    adv, secrets.port("kafka.port"), secrets.port("kafka.controller-port"), secrets.get("kafka.username"),
                    secrets.get("kafka.password"), secrets.get("kafka.controller-password"));
            r.brokerSettings = ks;
            r.startBroker();
            r.parts.add(r::stopBroker);
            r.broker.createTopics(Topics.ALL);
            r.kafka = ks.bootstrap();

            String store;
            List<String> catalogArgs = new ArrayList<>(List.of(
                    "--spring.kafka.bootstrap-servers=" + ks.bootstrap(),
                    "--spring.kafka.security.protocol=SASL_PLAINTEXT",
                    "--spring.kafka.properties.sasl.mechanism=" + KafkaBroker.MECHANISM,
                    "--spring.kafka.properties.sasl.jaas.config=" + jaas(ks.username(), ks.password()),
                    "--cryostash.catalog.kafka.partitions=1"));
            S3Config.Overrides s3 = S3Config.Overrides.NONE;
            if (storeDir != null) {
                store = storeDir.toAbsolutePath().toString();
            } else {
                S3Server server = new S3Server(dataDir.resolve("s3"), listen, secrets.port("s3.port"), secrets.get("s3.access-key"),
                        secrets.get("s3.secret-key"), BUCKET, Duration.ofSeconds(30));
                r.parts.add(server);
                r.s3 = "http://" + adv + ":" + server.port();
                store = "s3://" + BUCKET + "/images";
                s3 = new S3Config.Overrides(r.s3, REGION, secrets.get("s3.access-key"), secrets.get("s3.secret-key"));
                catalogArgs.add("--cryostash.catalog.s3-endpoint=" + r.s3);
                catalogArgs.add("--cryostash.catalog.s3-access-key=" + secrets.get("s3.access-key"));
                catalogArgs.add("--cryostash.catalog.s3-secret-key=" + secrets.get("s3.secret-key"));
                catalogArgs.add("--cryostash.catalog.s3-region=" + REGION);
            }
            catalogArgs.add("--cryostash.catalog.store=" + store);

            r.catalogDataDir = StackDatabaseDir.resolve(dataDir, secrets, isRoot());
            ConfigurableApplicationContext catalog = CatalogLauncher.run(port, r.catalogDataDir, null,
                    catalogArgs.toArray(String[]::new));
            r.parts.add(catalog::close);
            r.catalogUrl = CatalogLauncher.url(catalog);

            StackBootstrap bootstrap = catalog.getBean(StackBootstrap.class);
            String label = "cryostash up " + dataDir.toAbsolutePath();
            ClientCredentials creds = bootstrap.ensureClientCredentials(label);
            if (!creds.created() && (secrets.get("catalog.token") == null || secrets.get("enrol.token") == null)) {
                creds = bootstrap.reissue(label); // the tokens were made but their only copy is lost
            }
            if (creds.created()) {
                secrets.set("catalog.token", creds.userToken());
                secrets.set("enrol.token", creds.enrolmentToken());
                secrets.save();
            }
            r.credentials = creds;

            ClientConfig cc = ClientConfig.empty()
                    .with(ClientConfig.CATALOG_URL, r.catalogUrl)
                    .with(ClientConfig.CATALOG_TOKEN, secrets.get("catalog.token"))
                    .with(ClientConfig.ENROL_TOKEN, secrets.get("enrol.token"))
                    .with(ClientConfig.HOST_ID, hostId)
                    .with(ClientConfig.KAFKA_BOOTSTRAP, ks.bootstrap())
                    .with(ClientConfig.KAFKA_SECURITY_PROTOCOL, "SASL_PLAINTEXT")
                    .with(ClientConfig.KAFKA_SASL_MECHANISM, KafkaBroker.MECHANISM)
                    .with(ClientConfig.KAFKA_USERNAME, ks.username())
                    .with(ClientConfig.KAFKA_PASSWORD, ks.password())
                    .with(ClientConfig.STORE, store);
            if (r.s3 != null) {
                cc = cc.with(ClientConfig.S3_ENDPOINT, r.s3).with(ClientConfig.S3_ACCESS_KEY, s3.accessKey())
                        .with(ClientConfig.S3_SECRET_KEY, s3.secretKey()).with(ClientConfig.S3_REGION, REGION);
            }
            cc.write(configFile);
            r.clientConfig = cc;

            if (agent) {
                KafkaSettings kafka = new KafkaSettings(ks.bootstrap(), "SASL_PLAINTEXT", KafkaBroker.MECHANISM, ks.username(),
                        ks.password());
                AgentSettings as = new AgentSettings(hostId, r.catalogUrl, secrets.get("enrol.token"), kafka, store, s3, configFile,
                        home, null, null, null, null, 0);
                r.agentDaemon = AgentDaemon.start(as);
                r.parts.add(r.agentDaemon);
            }
            return r;
        } catch (Exception | Error e) {
            r.close();
            throw e;
        }
    }

    private static boolean isRoot() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\""
                + password + "\";";
    }
}
