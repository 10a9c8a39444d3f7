// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The command line built for the arguments (only the named subcommands in full) says and does
 * what the whole tree would: help lists the same commands with the same words, a named command
 * has all its options, help about a command shows them.
 */
class CommandLineOutlineTest {
    /** Every subcommand built in full, as picocli would from an annotation listing them all. */
    private static CommandLine wholeTree() {
        CommandLine line = new CommandLine(new Cryostash(Caller.thisProcess(), io.cryostash.capture.memory.KeptBuffers.unbounded()));
        for (Class<?> c : Cryostash.COMMANDS) {
            line.addSubcommand(c);
        }
        return line;
    }

    private static String run(CommandLine line, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        line.setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true)).execute(args);
        return out + "|" + err;
    }

    @Test
    void helpListsTheSameCommandsAsTheWholeTree() {
        assertThat(run(Cryostash.commandLine("--help"), "--help")).isEqualTo(run(wholeTree(), "--help"))
                .contains("checkpoint", "restore", "images", "Freeze a process");
        assertThat(run(Cryostash.commandLine("help"), "help")).isEqualTo(run(wholeTree(), "help"));
        assertThat(run(Cryostash.commandLine(), new String[0])).isEqualTo(run(wholeTree(), new String[0]));
    }

    @Test
    void aMistypedCommandGetsTheSameSuggestion() {
        assertThat(run(Cryostash.commandLine("imagse"), "imagse")).isEqualTo(run(wholeTree(), "imagse"))
                .contains("Did you mean", "images");
    }

    @Test
    void theNamedCommandIsBuiltInFullAndTheOthersAreOutlines() {
        CommandLine line = Cryostash.commandLine("images", "--store", "/nowhere");
        CommandSpec images = line.getSubcommands().get("images").getCommandSpec();
        CommandSpec checkpoint = line.getSubcommands().get("checkpoint").getCommandSpec();
        assertThat(images.findOption("--store")).isNotNull();
        assertThat(checkpoint.options()).isEmpty();
        assertThat(checkpoint.usageMessage().description()).isNotEmpty();
    }

    @Test
    void helpAboutACommandShowsItsOptions() {
        for (String[] args : new String[][] {{"help", "checkpoint"}, {"help", "audit"}}) {
            assertThat(run(Cryostash.commandLine(args), args)).isEqualTo(run(wholeTree(), args));
        }
        assertThat(run(Cryostash.commandLine("help", "checkpoint"), "help", "checkpoint")).contains("--kill", "--store");
        String[] nested = {"audit", "verify", "--help"};
        assertThat(run(Cryostash.commandLine(nested), nested)).isEqualTo(run(wholeTree(), nested));
    }

    @Test
    void anArgumentFileBuildsEveryCommand() {
        CommandLine line = Cryostash.commandLine("@args.txt");
        assertThat(line.getSubcommands().get("checkpoint").getCommandSpec().findOption("--kill")).isNotNull();
    }
}
