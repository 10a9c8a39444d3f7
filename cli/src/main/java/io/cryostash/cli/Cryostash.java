// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cryostash} command. */
@Command(name = "cryostash", mixinStandardHelpOptions = true, version = "cryostash 0.1.0",
        description = "Freeze running Linux processes into images and bring them back to life.",
        subcommands = {CheckpointCommand.class, RestoreCommand.class, ImagesCommand.class, InspectCommand.class,
                VerifyCommand.class, DeleteCommand.class, GcCommand.class, RepairIndexCommand.class, CatalogCommand.class,
                AgentCommand.class, UpCommand.class, KafkaCommand.class, RetentionCommand.class, ForgetCommand.class,
                PinCommand.class, PinCommand.Unpin.class, QuotaCommand.class, AuditCommand.class, DemoCommand.class,
                NetworkLocksCommand.class,
                CommandLine.HelpCommand.class})
public final class Cryostash {
    public static void main(String[] args) {
        quietLibraries();
        System.exit(run(args));
    }

    /**
     * slf4j-simple logs INFO by default: the broker, S3Proxy, Jetty and Spring would bury what the
     * commands say. Warnings stay; Cryostash's own INFO lines stay. Set before any logger exists.
     */
    static void quietLibraries() {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        System.setProperty("org.slf4j.simpleLogger.log.io.cryostash",
                System.getProperty("org.slf4j.simpleLogger.log.io.cryostash", "info"));
        // the admin client logs every refused connection while a broker starts or is away
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka", "error");
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    }

    public static int run(String... args) {
        return new CommandLine(new Cryostash())
                .setExecutionExceptionHandler((e, cmd, parse) -> {
                    cmd.getErr().println("cryostash: " + e.getMessage());
                    if (System.getenv("CRYOSTASH_DEBUG") != null) {
                        e.printStackTrace(cmd.getErr());
                    }
                    return 1;
                })
                .execute(args);
    }
}
