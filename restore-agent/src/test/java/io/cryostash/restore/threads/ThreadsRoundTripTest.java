// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.threads;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.restore.RestoreOptions.PidMode;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ThreadState;

/**
 * Multi-threaded fixtures (mutexes, condition variables, threads blocked in system calls,
 * per-thread signal state and TLS), each restored after --kill with its own pid and tids, and
 * beside the still-running original in a new PID namespace, where the same ids are free. Each
 * fixture checks its own state after restore, joins every thread and reports PASS.
 */
@ExtendWith(Leftovers.class)
class ThreadsRoundTripTest {
    @TempDir
    Path tmp;

    private static FixtureProcess start(String fixture) {
        return FixtureProcess.of(RoundTrip.fixture(fixture, "-pthread")).start();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mutexes", "condvars", "blocked", "threadsignals"})
    void restoredAfterKillWithItsOwnPidAndTidsCarriesOn(String fixture) {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start(fixture);
        List<Integer> tids = tids(original);

        ProcessImage image = rt.checkpoint(original, true).image();
        assertThat(image.threads()).extracting(ThreadState::tid).containsAll(tids);
        FixtureProcess restored = rt.restore(original, image.id());

        assertThat(restored.pid()).isEqualTo(original.pid());
        assertThat(ProcState.threads(restored.pid())).containsExactlyInAnyOrderElementsOf(
                image.threads().stream().map(ThreadState::tid).toList());
        assertThat(restored.check()).startsWith("PASS");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mutexes", "condvars", "blocked", "threadsignals"})
    void restoredBesideTheRunningOriginalInANewPidNamespaceBothCarryOn(String fixture) {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start(fixture);
        List<Integer> tids = tids(original);

        ProcessImage image = rt.checkpoint(original, false).image();
        FixtureProcess restored = rt.restore(original, image.id(), PidMode.NEW_PID_NAMESPACE);

        assertThat(restored.pid()).isNotEqualTo(original.pid());
        assertThat(rt.lastRestore().ownPid()).isEqualTo(original.pid());
        assertThat(ownTids(restored.pid())).containsExactlyInAnyOrderElementsOf(
                image.threads().stream().map(ThreadState::tid).toList()).containsAll(tids);
        assertThat(ProcState.allThreadsRunningFreely(original.pid())).isTrue();
        assertThat(original.check()).startsWith("PASS");
        original.clearResult();
        assertThat(restored.check()).startsWith("PASS");
    }

    @org.junit.jupiter.api.Test
    void restoreRefusesAThreadIdTakenMeanwhileNamingItsHolderAndWorksInANewNamespace() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start("condvars");
        int worker = tids(original).get(2);
        ProcessImage image = rt.checkpoint(original, true).image();
        FixtureProcess holder = FixtureProcess.of(RoundTrip.fixture("holdpid")).args(Integer.toString(worker))
                .startNoWait();
        holder.awaitReady();
        FixtureProcess holding = holder.restoredAs(worker); // the child of holdpid that has the worker's tid
        assertThat(ProcState.statusLine(worker, "Name")).isEqualTo("holdpid");

        assertThatThrownBy(() -> rt.restore(original, image.id()))
                .isInstanceOf(io.cryostash.restore.RestoreException.class)
                .hasMessageContaining("thread id " + worker).hasMessageContaining("is taken")
                .hasMessageContaining("process " + worker + " (holdpid)").hasMessageContaining("--new-pid-namespace")
                .hasMessageContaining("--new-pid is for single-threaded processes only");
        assertThat(ProcState.of(original.pid())).as("nothing was started under the free pid").isIn((char) 0, 'Z');

        FixtureProcess restored = rt.restore(original, image.id(), PidMode.NEW_PID_NAMESPACE);
        assertThat(ownTids(restored.pid())).contains(worker);
        assertThat(restored.check()).startsWith("PASS");
        assertThat(holding.check()).isEqualTo("PASS");
    }

    @org.junit.jupiter.api.Test
    void copyInANewPidNamespaceCanBeCheckpointedAgainAndKeepsTheIdsItSeesItself() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start("mutexes");
        List<Integer> tids = tids(original);
        FixtureProcess first = rt.restore(original, rt.checkpoint(original, false).image().id(),
                PidMode.NEW_PID_NAMESPACE);

        ProcessImage ofCopy = rt.checkpoint(first, true).image();

        assertThat(ofCopy.threads()).extracting(ThreadState::tid).as("the ids the copy sees itself under")
                .containsExactlyInAnyOrderElementsOf(tids);
        assertThat(ofCopy.process().pid()).as("its pid seen from here").isEqualTo(first.pid());
        FixtureProcess second = rt.restore(first, ofCopy.id(), PidMode.NEW_PID_NAMESPACE);
        assertThat(ownTids(second.pid())).containsExactlyInAnyOrderElementsOf(tids);
        assertThat(second.check()).startsWith("PASS");
        second.clearResult();
        assertThat(original.check()).startsWith("PASS");
    }

    @org.junit.jupiter.api.Test
    void theNewNamespacesInitReapsTheRestoredProcessAndEndsWithIt() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start("condvars");
        FixtureProcess copy = rt.restore(original, rt.checkpoint(original, false).image().id(),
                PidMode.NEW_PID_NAMESPACE);
        int init = Integer.parseInt(ProcState.statusLine(copy.pid(), "PPid"));
        assertThat(ProcState.statusLine(init, "Name")).isEqualTo("cryostash-init");
        assertThat(ProcState.statusLine(init, "NSpid")).endsWith("\t1");
        assertThat(ProcState.statusLine(copy.pid(), "NSpid")).endsWith("\t" + original.pid());

        assertThat(copy.check()).startsWith("PASS"); // the copy exits after reporting

        io.cryostash.agent.testing.Poll.until(java.time.Duration.ofSeconds(10), "the namespace's init to end",
                () -> ProcState.of(init) == 0 || ProcState.of(init) == 'Z');
        assertThat(ProcState.of(copy.pid())).as("reaped by its init, no zombie left").isIn((char) 0, 'X');
    }

    @org.junit.jupiter.api.Test
    void everyThreadRunsAsTheImagesUserAfterRestoreNeverRoot() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("condvars", "-pthread"))
                .prefix("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups").start();

        FixtureProcess restored = rt.killAndRestore(original);

        List<Integer> threads = ProcState.threads(restored.pid());
        assertThat(threads).hasSize(5);
        for (int t : threads) {
            String status = ProcState.read(restored.pid(), "task/" + t + "/status");
            assertThat(status).as("thread " + t).contains("Uid:\t65534\t65534\t65534\t65534")
                    .contains("Gid:\t65534\t65534\t65534\t65534").contains("CapEff:\t0000000000000000");
        }
        assertThat(restored.check()).startsWith("PASS");
    }

    /** The tids the fixture reported (main first), as it sees them. */
    private static List<Integer> tids(FixtureProcess f) {
        return f.read("threads").lines().map(Integer::parseInt).toList();
    }

    /** Each thread's id inside its own PID namespace: the last field of NSpid. */
    static List<Integer> ownTids(int pid) {
        return ProcState.threads(pid).stream().map(t -> {
            String[] ns = ProcState.read(pid, "task/" + t + "/status").lines().filter(l -> l.startsWith("NSpid:"))
                    .findFirst().orElseThrow().substring(6).trim().split("\\s+");
            return Integer.parseInt(ns[ns.length - 1]);
        }).toList();
    }
}
