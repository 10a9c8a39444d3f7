// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.cryostash.capture.memory.KeptBuffers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/** The {@code cryostash} command. */
@Command(name = "cryostash", mixinStandardHelpOptions = true, version = "cryostash 0.1.0",
        description = "Freeze running Linux processes into images and bring them back to life.")
public final class Cryostash {
    private final Caller caller;
    private final KeptBuffers copyBuffers;

    Cryostash(Caller caller, KeptBuffers copyBuffers) {
        this.caller = caller;
        this.copyBuffers = copyBuffers;
    }

    /** Who the command runs for (a daemon's client or this JVM's command line). */
    Caller caller() {
        return caller;
    }

    /** The caller of the command whose model {@code spec} is (any command of the tree). */
    static Caller callerOf(CommandSpec spec) {
        return ((Cryostash) spec.root().userObject()).caller;
    }

    /** Copy buffers the captures of this process's commands share (a daemon's outlive each command). */
    static KeptBuffers copyBuffersOf(CommandSpec spec) {
        return ((Cryostash) spec.root().userObject()).copyBuffers;
    }

    /**
     * The subcommands, in the order help lists them. Not in the annotation: picocli would build
     * every one's model (reflection over each option, annotation proxies), a third of a second
     * of a fresh JVM; {@link #commandLine} builds only the ones the arguments name.
     */
    static final List<Class<?>> COMMANDS = List.of(CheckpointCommand.class, RestoreCommand.class, ImagesCommand.class,
            InspectCommand.class, VerifyCommand.class, DeleteCommand.class, GcCommand.class, RepairIndexCommand.class,
            CatalogCommand.class, AgentCommand.class, UpCommand.class, KafkaCommand.class, RetentionCommand.class,
            ForgetCommand.class, PinCommand.class, PinCommand.Unpin.class, QuotaCommand.class, AuditCommand.class,
            DemoCommand.class, NetworkLocksCommand.class, DaemonCommand.class, CommandLine.HelpCommand.class);

    public static void main(String[] args) {
        quietLibraries();
        // picocli looks for Groovy's Closure class once; the miss reads the directory of every
        // jar on the class path (~300, for the services), a tenth of a second of each command
        System.setProperty("picocli.disable.closures", "true");
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
        // named, slf4j skips its service lookup, which reads the directory of every jar on the
        // class path (~300, for the services): a tenth of a second of any command that logs
        System.setProperty("slf4j.provider", System.getProperty("slf4j.provider", "org.slf4j.simple.SimpleServiceProvider"));
        // ...without saying so on stderr at every start
        System.setProperty("slf4j.internal.verbosity", System.getProperty("slf4j.internal.verbosity", "WARN"));
    }

    public static int run(String... args) {
        return run(Caller.thisProcess(), KeptBuffers.unbounded(), args);
    }

    /**
     * Runs a command for {@code caller}: its paths resolved as it means them, its output on this
     * thread's streams, its captures' copy buffers kept in {@code copyBuffers}.
     */
    public static int run(Caller caller, KeptBuffers copyBuffers, String... args) {
        return commandLine(caller, copyBuffers, args)
                .setExecutionExceptionHandler((e, cmd, parse) -> {
                    cmd.getErr().println("cryostash: " + e.getMessage());
                    if (System.getenv("CRYOSTASH_DEBUG") != null) {
                        e.printStackTrace(cmd.getErr());
                    }
                    return 1;
                })
                .execute(args);
    }

    /**
     * The command line for these arguments: each subcommand an argument names (the one to run,
     * or the one {@code help} is asked about) is built in full; the others are outlines that only
     * carry what the list of commands shows (name, header, description), which is all that help
     * and "did you mean" read of them. Argument files ({@code @file}) may name any command: all
     * are built then.
     */
    static CommandLine commandLine(String... args) {
        return commandLine(Caller.thisProcess(), KeptBuffers.unbounded(), args);
    }

    static CommandLine commandLine(Caller caller, KeptBuffers copyBuffers, String... args) {
        CommandLine line = new CommandLine(new Cryostash(caller, copyBuffers));
        Set<String> named = new HashSet<>(Arrays.asList(args));
        boolean all = named.stream().anyMatch(a -> a.startsWith("@"));
        for (Class<?> c : COMMANDS) {
            Command about = c.getAnnotation(Command.class);
            if (all || named.contains(about.name()) || Arrays.stream(about.aliases()).anyMatch(named::contains)) {
                line.addSubcommand(c);
            } else {
                line.addSubcommand(about.name(), outline(about), about.aliases());
            }
        }
        // after the subcommands: picocli gives a converter to the commands that exist when it is registered
        line.registerConverter(java.nio.file.Path.class, caller::resolve);
        return line;
    }

    private static CommandSpec outline(Command about) {
        CommandSpec spec = CommandSpec.create().name(about.name()).aliases(about.aliases());
        spec.usageMessage().header(about.header()).description(about.description()).hidden(about.hidden());
        return spec;
    }
}
