// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.capture.tree.Descendants;
import io.cryostash.cli.CliRoundTripTest.Run;

/**
 * {@code checkpoint <pid> --tree} and {@code restore} as commands, on restore-agent's tree.c (a
 * parent P; its child A leading a session; A's child G leading a group; A's zombie Z; a pipe from
 * P to A, shared memory and a shared file offset): without --tree the output names the children
 * left out, with --tree --kill the tree is restored and restore's last line is the root's pid;
 * descriptors of other processes of the tree are given up as PID:FD.
 */
@ExtendWith(Leftovers.class)
class TreeCliTest {
    @TempDir
    Path tmp;

    /** The fixture lives with restore-agent's round-trip fixtures (this module's tests run in cli/). */
    private static FixtureProcess startTree() {
        FixtureProcess f = FixtureProcess.of(CFixtures.compile("../restore-agent/src/test/c/tree.c")).start();
        Descendants.of(f.pid()).forEach(d -> Leftovers.track(d.pid()));
        return f;
    }

    @Test
    void checkpointTreeWithKillThenRestoreBringsTheTreeBackAndPrintsTheRootPidLast() {
        String store = tmp.resolve("store").toString();
        FixtureProcess original = startTree();
        int a = (int) original.number("pids");
        List<Integer> members = Descendants.of(original.pid()).stream().map(ProcStat::pid).toList();
        assertThat(members).hasSize(3);

        // alone: the pipe to A (fd 4) has its other end outside the image, so it is given up
        Run alone = CliRoundTripTest.cli("checkpoint", Integer.toString(original.pid()), "--close-fd", "4",
                "--store", store);
        assertThat(alone.exit()).as(alone.err()).isZero();
        assertThat(alone.err()).contains("children were left out").contains("pid " + a + " (tree)");

        Run checkpoint = CliRoundTripTest.cli("checkpoint", Integer.toString(original.pid()), "--tree", "--kill",
                "--store", store);
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        assertThat(checkpoint.err()).contains("with 3 descendants").contains("process killed")
                .doesNotContain("children were left out");
        original.awaitGone();

        Run restore = CliRoundTripTest.cli("restore", checkpoint.lastLine(), "--store", store, "--log-dir",
                tmp.toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        assertThat(restore.lastLine()).isEqualTo(Integer.toString(original.pid()));
        FixtureProcess restored = original.restoredAs(Integer.parseInt(restore.lastLine()));
        Descendants.of(restored.pid()).forEach(d -> Leftovers.track(d.pid()));
        assertThat(Descendants.of(restored.pid())).extracting(ProcStat::pid).containsExactlyElementsOf(members);
        assertThat(restored.check()).startsWith("PASS");
    }

    @Test
    void descriptorsOfOtherProcessesOfTheTreeAreGivenUpAsPidColonFd() {
        String store = tmp.resolve("store").toString();
        FixtureProcess original = startTree();
        int a = (int) original.number("pids");
        // A's subtree: A and G hold the pipe's read end (fd 3), whose write end P, outside it, holds
        int g = Descendants.of(a).stream().filter(s -> s.state() != 'Z').findFirst().orElseThrow().pid();
        String sub = Integer.toString(a);

        Run refused = CliRoundTripTest.cli("checkpoint", sub, "--tree", "--store", store);
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("pid " + a + " (tree)").contains("--close-fd " + a + ":3");

        Run rootOnly = CliRoundTripTest.cli("checkpoint", sub, "--tree", "--close-fd", "3", "--store", store);
        assertThat(rootOnly.exit()).isNotZero();
        assertThat(rootOnly.err()).contains("pid " + g + " (tree)").contains("--close-fd " + g + ":3");

        Run notInTree = CliRoundTripTest.cli("checkpoint", sub, "--tree", "--close-fd", original.pid() + ":4",
                "--store", store);
        assertThat(notInTree.exit()).isNotZero();
        assertThat(notInTree.err()).contains("pid " + original.pid() + ", which is not a descendant of pid " + a);

        Run withoutTree = CliRoundTripTest.cli("checkpoint", sub, "--close-fd", g + ":3", "--store", store);
        assertThat(withoutTree.exit()).isNotZero();
        assertThat(withoutTree.err()).contains("only with --tree");

        Run bad = CliRoundTripTest.cli("checkpoint", sub, "--tree", "--close-fd", "x:3", "--store", store);
        assertThat(bad.exit()).isNotZero();
        assertThat(bad.err()).contains("'x:3'");

        Run given = CliRoundTripTest.cli("checkpoint", sub, "--tree", "--close-fd", "3," + g + ":3", "--store", store);
        assertThat(given.exit()).as(given.err()).isZero();
        assertThat(given.err()).contains("pid " + a + ": fd 3").contains("pid " + g + ": fd 3")
                .contains("given up, left closed on restore");
        // refused or captured, the tree ran on with everything it had: the pipe's bytes, the counters
        assertThat(original.check()).startsWith("PASS");
    }
}
