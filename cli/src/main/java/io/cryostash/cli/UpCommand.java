// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import io.cryostash.cli.up.AllInOne;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.store.image.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "up", description = {"Run the whole system on this machine until stopped: the catalog (web and REST, with"
        + " its embedded PostgreSQL), a Kafka broker, the store served over S3, and the agent of this host.",
        "Writes the client config ($CRYOSTASH_HOME/client.properties, 0600) so that the CLI and `cryostash agent --host-id"
        + " other` on this machine join it with no flags. A second up on the same data directory reuses everything."})
final class UpCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8080", description = "catalog HTTP port (default: ${DEFAULT-VALUE}; 0: any)")
    int port;

    @Option(names = "--data-dir", paramLabel = "<dir>", description = "where everything is kept (default: $CRYOSTASH_HOME/stack)")
    Path dataDir;

    @Option(names = "--store", paramLabel = "<dir>", description = "a plain directory store instead of the embedded S3 server")
    Path store;

    @Option(names = "--host-id", paramLabel = "<id>", description = "this host's id (default: the hostname)")
    String hostId;

    @Option(names = "--listen", paramLabel = "<address>", defaultValue = "127.0.0.1",
            description = "address Kafka and S3 listen on (default: ${DEFAULT-VALUE}, this machine only)")
    String listen;

    @Option(names = "--advertise", paramLabel = "<host>", description = "name agents use to reach Kafka and S3 (default: --listen)")
    String advertise;

    @Override
    public Integer call() throws Exception {
        AllInOne.Running r = start(port, dataDir, store, hostId, listen, advertise, true);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            r.close();
            stopped.countDown();
        }, "up-shutdown"));
        System.out.println("running; stop with Ctrl-C");
        stopped.await();
        return 0;
    }

    static AllInOne.Running start(int port, Path dataDir, Path store, String hostId, String listen, String advertise,
                                  boolean print) throws Exception {
        Path home = ImageStore.stateDir();
        AllInOne stack = new AllInOne(port, dataDir != null ? dataDir : home.resolve("stack"), store,
                hostId != null ? hostId : ImageStore.hostName(), listen, advertise, home, ClientConfig.defaultFile(), true);
        AllInOne.Running r = stack.start();
        if (print) describe(r, stack);
        return r;
    }

    static void describe(AllInOne.Running r, AllInOne stack) {
        System.out.println();
        System.out.println("Cryostash is up (data in " + stack.dataDir() + ")");
        if (!r.catalogDataDir().startsWith(stack.dataDir().toAbsolutePath().normalize())) {
            System.out.println("  database     " + r.catalogDataDir() + " (the database account cannot reach " + stack.dataDir() + ")");
        }
        System.out.println("  web catalog  " + r.catalogUrl());
        if (r.credentials().adminPassword() != null) {
            System.out.println("  first login  " + r.credentials().adminUsername() + " / " + r.credentials().adminPassword()
                    + "   (shown once: change it under Users)");
        } else {
            System.out.println("  login        " + r.credentials().adminUsername() + " (password shown by the first up)");
        }
        System.out.println("  Kafka        " + r.kafka() + " (SASL_PLAINTEXT, SCRAM-SHA-256, user "
                + r.clientConfig().get(ClientConfig.KAFKA_USERNAME) + ")");
        System.out.println("  S3           " + (r.s3Endpoint() == null ? "none (directory store " + stack.storeDir() + ")"
                : r.s3Endpoint() + " bucket " + AllInOne.BUCKET));
        System.out.println("  agent        host " + stack.hostId());
        System.out.println("  client config " + stack.configFile() + " (0600; has the credentials)");
        System.out.println("  another agent on this machine: cryostash agent --host-id OTHER");
    }
}
