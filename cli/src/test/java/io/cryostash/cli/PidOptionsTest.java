// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.cli.CliRoundTripTest.Run;

/**
 * `restore` gives the process its own pid back by default; beside the still-running original
 * it refuses naming the pid and the options, and `--new-pid-namespace` (any process) or
 * `--new-pid` (single-threaded only) restore it anyway, printing the pid seen from here.
 */
@ExtendWith(Leftovers.class)
class PidOptionsTest {
    @TempDir
    Path tmp;

    @Test
    void restoreBesideTheRunningOriginalIsRefusedByDefaultAndWorksWithEitherOption() {
        String store = tmp.resolve("store").toString();
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).start();
        long before = counter.awaitNumberAbove("counter", 0);
        Run checkpoint = CliRoundTripTest.cli("checkpoint", Integer.toString(counter.pid()), "--store", store);
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        String id = checkpoint.lastLine();

        Run refused = CliRoundTripTest.cli("restore", id, "--store", store, "--log-dir", tmp.toString());
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err()).contains("pid " + counter.pid()).contains("is taken")
                .contains("--new-pid-namespace").contains("--new-pid ");

        Run both = CliRoundTripTest.cli("restore", id, "--new-pid", "--new-pid-namespace", "--store", store);
        assertThat(both.exit()).isNotZero();
        assertThat(both.err()).contains("mutually exclusive");

        Run newPid = CliRoundTripTest.cli("restore", id, "--new-pid", "--store", store, "--log-dir", tmp.toString());
        assertThat(newPid.exit()).as(newPid.err()).isZero();
        FixtureProcess copy = counter.restoredAs(Integer.parseInt(newPid.lastLine()));
        assertThat(copy.pid()).isNotEqualTo(counter.pid());

        Run inNamespace = CliRoundTripTest.cli("restore", id, "--new-pid-namespace", "--store", store, "--log-dir",
                tmp.toString());
        assertThat(inNamespace.exit()).as(inNamespace.err()).isZero();
        FixtureProcess nsCopy = counter.restoredAs(Integer.parseInt(inNamespace.lastLine()));
        assertThat(inNamespace.err()).contains("pid " + counter.pid() + " inside its own PID namespace");
        assertThat(ProcState.statusLine(nsCopy.pid(), "NSpid")).endsWith("\t" + counter.pid());

        assertThat(ProcState.runningFreely(copy.pid())).isTrue();
        assertThat(ProcState.runningFreely(nsCopy.pid())).isTrue();
        counter.awaitNumberAbove("counter", before);
        assertThat(counter.check()).startsWith("PASS ");
    }

    @Test
    void multiThreadedProcessIsRestoredWithItsOwnIdsAfterKillAndRefusesNewPid() {
        String store = tmp.resolve("store").toString();
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).args("0", "threads").start();
        counter.awaitNumberAbove("counter", 0);
        var tids = ProcState.threads(counter.pid());
        assertThat(tids).hasSize(2);

        Run checkpoint = CliRoundTripTest.cli("checkpoint", Integer.toString(counter.pid()), "--kill", "--store", store);
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        assertThat(checkpoint.err()).contains("2 threads");
        counter.awaitGone();
        long atCheckpoint = counter.number("counter");

        Run newPid = CliRoundTripTest.cli("restore", checkpoint.lastLine(), "--new-pid", "--store", store);
        assertThat(newPid.exit()).isNotZero();
        assertThat(newPid.err()).contains("2 threads").contains("--new-pid-namespace");

        Run restore = CliRoundTripTest.cli("restore", checkpoint.lastLine(), "--store", store, "--log-dir",
                tmp.toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        FixtureProcess restored = counter.restoredAs(Integer.parseInt(restore.lastLine()));
        assertThat(restored.pid()).isEqualTo(counter.pid());
        assertThat(ProcState.threads(restored.pid())).isEqualTo(tids);
        restored.awaitNumberAbove("counter", atCheckpoint);
        assertThat(restored.check()).startsWith("PASS ");
    }
}
