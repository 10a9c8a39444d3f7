// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

import io.cryostash.daemon.kafka.KafkaSettings;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.image.ImageStore;

/**
 * Everything one host's agent needs, resolved once from flags, environment and the client config.
 *
 * @param hostId       the host this agent acts for (the Kafka key it answers to)
 * @param catalogUrl   the catalog's base URL, or null: no enrolment, heartbeat or request checks
 * @param enrolToken   an enrolment token (cse_…), used when the agent has no agent token yet
 * @param kafka        how to reach the brokers
 * @param store        the image store (directory or s3://bucket/prefix)
 * @param s3           S3 settings from flags
 * @param storeConfig  properties file with s3.* keys (the client config), or null
 * @param home         $CRYOSTASH_HOME: shared cache and trusted keys; per-host state under agents/HOST
 * @param logDir       where restored processes' output to lost terminals goes
 * @param heartbeat    heartbeat period
 * @param retry        first retry delay; doubles up to {@code maxRetry}
 * @param attempts     tries of a failing request before it goes to the dead-letter topic
 */
public record AgentSettings(String hostId, String catalogUrl, String enrolToken, KafkaSettings kafka, String store,
                            S3Config.Overrides s3, Path storeConfig, Path home, Path logDir, Duration heartbeat,
                            Duration retry, Duration maxRetry, int attempts) {

    /** The environment variables an agent reads (docker-compose.yml sets them; a test checks it names each). */
    public static final String ENV_HOST_ID = "CRYOSTASH_HOST_ID";
    public static final String ENV_CATALOG = "CRYOSTASH_CATALOG";
    public static final String ENV_ENROL_TOKEN = "CRYOSTASH_ENROL_TOKEN";
    public static final String ENV_KAFKA = "CRYOSTASH_KAFKA";
    public static final String ENV_KAFKA_SECURITY_PROTOCOL = "CRYOSTASH_KAFKA_SECURITY_PROTOCOL";
    public static final String ENV_KAFKA_SASL_MECHANISM = "CRYOSTASH_KAFKA_SASL_MECHANISM";
    public static final String ENV_KAFKA_USERNAME = "CRYOSTASH_KAFKA_USERNAME";
    public static final String ENV_KAFKA_PASSWORD = "CRYOSTASH_KAFKA_PASSWORD";
    public static final String ENV_STORE = "CRYOSTASH_STORE";
    /** Read by the store's S3 configuration (S3Config). */
    public static final java.util.List<String> ENV_S3 = java.util.List.of("CRYOSTASH_S3_ENDPOINT", "CRYOSTASH_S3_REGION",
            "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
    /** Where the host's state lives (ImageStore.stateDir). */
    public static final String ENV_HOME = "CRYOSTASH_HOME";

    static final Pattern HOST_ID = Pattern.compile("^[A-Za-z0-9._:-]{1,128}$");

    public AgentSettings {
        if (hostId == null || !HOST_ID.matcher(hostId).matches()) {
            throw new IllegalArgumentException("host id " + hostId + " is not valid: 1 to 128 of A-Z a-z 0-9 . _ : -");
        }
        if (store == null || store.isBlank()) store = ImageStore.defaultStore();
        if (home == null) home = ImageStore.stateDir();
        if (logDir == null) logDir = Path.of("/tmp");
        if (heartbeat == null) heartbeat = Duration.ofSeconds(30);
        if (retry == null) retry = Duration.ofSeconds(1);
        if (maxRetry == null) maxRetry = Duration.ofSeconds(60);
        if (attempts < 1) attempts = 5;
        if (catalogUrl != null && catalogUrl.isBlank()) catalogUrl = null;
    }

    /** Flags given on the command line (null when absent). */
    public record Flags(String hostId, String catalogUrl, String enrolToken, String kafka, String kafkaUser,
                        String kafkaPassword, String kafkaSecurityProtocol, String store, S3Config.Overrides s3) {
    }

    /** Flags, then environment, then the client config, for each setting. */
    public static AgentSettings resolve(Flags f, Map<String, String> env, ClientConfig config, Path configFile) {
        String host = config.resolve(f.hostId(), env, ENV_HOST_ID, ClientConfig.HOST_ID);
        if (host == null) host = ImageStore.hostName();
        KafkaSettings kafka = new KafkaSettings(
                config.resolve(f.kafka(), env, ENV_KAFKA, ClientConfig.KAFKA_BOOTSTRAP),
                config.resolve(f.kafkaSecurityProtocol(), env, ENV_KAFKA_SECURITY_PROTOCOL,
                        ClientConfig.KAFKA_SECURITY_PROTOCOL),
                config.resolve(null, env, ENV_KAFKA_SASL_MECHANISM, ClientConfig.KAFKA_SASL_MECHANISM),
                config.resolve(f.kafkaUser(), env, ENV_KAFKA_USERNAME, ClientConfig.KAFKA_USERNAME),
                config.resolve(f.kafkaPassword(), env, ENV_KAFKA_PASSWORD, ClientConfig.KAFKA_PASSWORD));
        return new AgentSettings(host,
                config.resolve(f.catalogUrl(), env, ENV_CATALOG, ClientConfig.CATALOG_URL),
                config.resolve(f.enrolToken(), env, ENV_ENROL_TOKEN, ClientConfig.ENROL_TOKEN),
                kafka,
                config.resolve(f.store(), env, ENV_STORE, ClientConfig.STORE),
                f.s3() == null ? S3Config.Overrides.NONE : f.s3(),
                configFile != null && java.nio.file.Files.exists(configFile) ? configFile : null,
                ImageStore.stateDir(), null, null, null, null, 0);
    }

    public AgentSettings withTiming(Duration heartbeat, Duration retry, Duration maxRetry, int attempts) {
        return new AgentSettings(hostId, catalogUrl, enrolToken, kafka, store, s3, storeConfig, home, logDir, heartbeat,
                retry, maxRetry, attempts);
    }

    public AgentSettings withHome(Path home) {
        return new AgentSettings(hostId, catalogUrl, enrolToken, kafka, store, s3, storeConfig, home, logDir, heartbeat,
                retry, maxRetry, attempts);
    }

    /** This host's own directory: keys, agent token, spool, ledger. */
    public Path hostDir() {
        return home.resolve("agents").resolve(hostId);
    }

    /** The Kafka consumer group of this host's agent (contract: cryostash-agent-H). */
    public String consumerGroup() {
        return "cryostash-agent-" + hostId;
    }
}
