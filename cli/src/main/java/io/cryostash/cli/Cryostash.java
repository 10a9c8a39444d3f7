// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cryostash} command. */
@Command(name = "cryostash", mixinStandardHelpOptions = true, version = "cryostash 0.1.0",
        description = "Freeze running Linux processes into images and bring them back to life.",
        subcommands = {CheckpointCommand.class, RestoreCommand.class, ImagesCommand.class, InspectCommand.class,
                VerifyCommand.class, DeleteCommand.class, GcCommand.class, RepairIndexCommand.class, CatalogCommand.class,
                AgentCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Cryostash {
    public static void main(String[] args) {
        System.exit(run(args));
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
