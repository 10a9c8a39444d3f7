// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.threads;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.restore.RestoreOptions.PidMode;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ProcessTimers;
import io.cryostash.schema.image.ThreadState;
import io.cryostash.schema.image.fds.EventfdFile;
import io.cryostash.schema.image.fds.PipeFile;

/**
 * The descriptors and the threads work together (threadfds.c): a pipe with bytes in flight, an
 * eventfd, a signalfd with a signal queued to the process, and a POSIX timer that signals one
 * thread, in a process whose second thread is blocked reading another pipe. Descriptors are
 * saved once for the process and shared by every restored thread; the timer must come back
 * aimed at the same thread, not at the process.
 */
@ExtendWith(Leftovers.class)
class ThreadDescriptorsRoundTripTest {
    private static final int READ = 0;

    @TempDir
    Path tmp;

    private static FixtureProcess start() {
        return FixtureProcess.of(RoundTrip.fixture("threadfds", "-pthread", "-lrt")).start();
    }

    private static List<Integer> tids(FixtureProcess f) {
        return f.read("threads").lines().map(Integer::parseInt).toList();
    }

    @Test
    void pipeEventfdSignalfdAndThreadTimerCarryOnAfterKillWithTheOriginalTids() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start();
        List<Integer> tids = tids(original);
        int reader = tids.get(1);

        ProcessImage image = rt.checkpoint(original, true).image();

        assertThat(image.threads()).extracting(ThreadState::tid).containsExactlyInAnyOrderElementsOf(tids);
        ThreadState blocked = image.threads().stream().filter(t -> t.tid() == reader).findFirst().orElseThrow();
        assertThat(blocked.regs().origRax()).as("the reader is stopped inside read()").isEqualTo(READ);
        assertThat(image.fds()).filteredOn(f -> f.kind() == FdEntry.Kind.PIPE && f.file() instanceof PipeFile p
                && p.queued() != null && p.queued().length > 0).singleElement()
                .satisfies(f -> assertThat(((PipeFile) f.file()).queued()).hasSize(60_000));
        assertThat(image.fds()).filteredOn(f -> f.kind() == FdEntry.Kind.EVENTFD).singleElement()
                .satisfies(f -> assertThat(((EventfdFile) f.file()).counter()).isEqualTo(41));
        assertThat(image.fds()).filteredOn(f -> f.kind() == FdEntry.Kind.SIGNALFD).hasSize(1);
        assertThat(image.timers().posixTimers()).singleElement().satisfies(t -> {
            assertThat(t.signalsOneThread()).as("a SIGEV_THREAD_ID timer").isTrue();
            assertThat(t.targetTid()).isEqualTo(reader);
        });
        assertThat(image.sharedPendingSignals()).as("the signal queued for the signalfd").hasSize(1);

        FixtureProcess restored = rt.restore(original, image.id());

        assertThat(restored.pid()).isEqualTo(original.pid());
        assertThat(ProcState.threads(restored.pid())).containsExactlyInAnyOrderElementsOf(tids);
        assertThat(ProcState.read(restored.pid(), "timers")).contains("notify: signal/tid." + reader);
        assertThat(restored.check()).startsWith("PASS");
    }

    @Test
    void copyBesideTheRunningOriginalInANewPidNamespaceCarriesOnAndTheOriginalKeepsItsBytes() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start();
        List<Integer> tids = tids(original);

        ProcessImage image = rt.checkpoint(original, false).image();
        assertThat(image.timers().posixTimers()).extracting(ProcessTimers.PosixTimer::targetTid)
                .containsExactly(tids.get(1));
        FixtureProcess copy = rt.restore(original, image.id(), PidMode.NEW_PID_NAMESPACE);

        assertThat(ThreadsRoundTripTest.ownTids(copy.pid())).containsExactlyInAnyOrderElementsOf(tids);
        assertThat(copy.check()).startsWith("PASS");
        copy.clearResult();
        assertThat(original.check()).as("the capture took nothing from the original's pipe, eventfd or signal queue")
                .startsWith("PASS");
    }
}
