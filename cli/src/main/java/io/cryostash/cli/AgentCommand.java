// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.concurrent.Callable;

import io.cryostash.daemon.AgentDaemon;
import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.store.backend.S3Config;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "agent", description = {"Run the agent of one host until stopped (SIGTERM or Ctrl-C): it enrols with the"
        + " catalog, heartbeats, and captures and restores what Kafka asks of its host.",
        "Every setting comes from a flag, else the environment, else the client config that cryostash up writes,"
        + " so on the machine of cryostash up `cryostash agent --host-id other` needs nothing else."})
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--host-id", paramLabel = "<id>", description = "this host's id (else $CRYOSTASH_HOST_ID, host.id, the hostname)")
    String hostId;

    @Option(names = "--catalog", paramLabel = "<url>", description = "catalog URL (else $CRYOSTASH_CATALOG, catalog.url)")
    String catalog;

    @Option(names = "--enrol-token", paramLabel = "<cse_…>",
            description = "enrolment token (else $CRYOSTASH_ENROL_TOKEN, enrol.token); needed until the host is enrolled")
    String enrolToken;

    @Option(names = "--kafka", paramLabel = "<host:port,…>", description = "Kafka bootstrap servers (else $CRYOSTASH_KAFKA, kafka.bootstrap)")
    String kafka;

    @Option(names = "--kafka-user", paramLabel = "<user>", description = "SASL user (else $CRYOSTASH_KAFKA_USERNAME, kafka.username)")
    String kafkaUser;

    @Option(names = "--kafka-password", paramLabel = "<password>",
            description = "SASL password (else $CRYOSTASH_KAFKA_PASSWORD, kafka.password)")
    String kafkaPassword;

    @Option(names = "--kafka-security-protocol", paramLabel = "<protocol>",
            description = "SASL_PLAINTEXT (default with a user), SASL_SSL, SSL, or PLAINTEXT (only when given explicitly)")
    String kafkaProtocol;

    @Option(names = "--store", paramLabel = "<dir|s3://bucket/prefix>", description = "image store (else $CRYOSTASH_STORE, store)")
    String store;

    @Option(names = "--s3-endpoint", paramLabel = "<url>") String s3Endpoint;
    @Option(names = "--s3-region", paramLabel = "<region>") String s3Region;
    @Option(names = "--s3-access-key", paramLabel = "<key>") String s3AccessKey;
    @Option(names = "--s3-secret-key", paramLabel = "<secret>") String s3SecretKey;

    @Option(names = "--config", paramLabel = "<file>", description = "client config (default: $CRYOSTASH_HOME/client.properties)")
    java.nio.file.Path config;

    @Override
    public Integer call() throws Exception {
        java.nio.file.Path file = config != null ? config : ClientConfig.defaultFile();
        AgentSettings s = AgentSettings.resolve(new AgentSettings.Flags(hostId, catalog, enrolToken, kafka, kafkaUser,
                kafkaPassword, kafkaProtocol, store, new S3Config.Overrides(s3Endpoint, s3Region, s3AccessKey, s3SecretKey)),
                System.getenv(), ClientConfig.load(file), file);
        AgentDaemon agent = AgentDaemon.start(s);
        System.out.println("cryostash agent of host " + s.hostId() + " running (key " + agent.publicKeyId() + ", Kafka "
                + s.kafka() + ", store " + agent.images().location() + (s.catalogUrl() == null ? "" : ", catalog " + s.catalogUrl())
                + "); stop with Ctrl-C");
        agent.runUntilShutdown();
        return 0;
    }
}
