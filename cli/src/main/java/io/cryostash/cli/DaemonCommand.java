// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.cryostash.cli.server.CommandServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "daemon", description = "Serve this user's cryostash commands from one warm JVM: while it runs,"
        + " ./cryostash hands checkpoint, restore and the other one-shot commands to it over a Unix socket instead"
        + " of starting a JVM for each (a command then costs its work, not the JVM's start and compilation).")
final class DaemonCommand implements Callable<Integer> {
    @Option(names = "--socket", paramLabel = "<path>",
            description = "where to listen (default: $CRYOSTASH_HOME/run/cli.sock, where ./cryostash looks)")
    Path socket;

    @Option(names = "--no-training", description = "serve at once without first checkpointing and restoring a"
            + " small training process a few times (which takes a few seconds in the background and makes the"
            + " first commands as fast as the later ones)")
    boolean noTraining;

    @Override
    public Integer call() throws Exception {
        Path at = socket != null ? socket : CommandServer.defaultSocket(System.getenv());
        try (CommandServer server = CommandServer.bind(at, System.getenv())) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (java.io.IOException e) {
                    // the JVM is going; a socket file left behind is replaced by the next daemon
                }
            }, "cryostash-daemon-stop"));
            System.out.println("cryostash daemon (pid " + ProcessHandle.current().pid() + ") serving commands on " + at
                    + "; ./cryostash uses it while it runs, for clients with this environment; stop with Ctrl-C");
            if (!noTraining) {
                server.trainInBackground();
            }
            server.serve();
        }
        return 0;
    }
}
