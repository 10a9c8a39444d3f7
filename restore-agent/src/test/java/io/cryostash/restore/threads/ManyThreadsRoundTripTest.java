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
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ThreadState;

/**
 * 64 threads, each with a signal mask, gs and fs base, general-purpose and vector registers,
 * name, alternate stack, robust list and rseq registration of its own (manythreads.c, which
 * checks them all itself after restore): restore creates, sets up and lets go all of them in a
 * few requests to the tracer helper, and a state given to the wrong thread, or not at all,
 * fails the fixture's check.
 */
@ExtendWith(Leftovers.class)
class ManyThreadsRoundTripTest {
    @TempDir
    Path tmp;

    private static FixtureProcess start() {
        return FixtureProcess.of(RoundTrip.fixture("manythreads", "-pthread")).start();
    }

    @Test
    void sixtyFourThreadsRestoredAfterKillEachWithItsOwnStateAndTid() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start();
        List<Integer> tids = tids(original);

        ProcessImage image = rt.checkpoint(original, true).image();
        assertThat(image.threads()).hasSize(64);
        FixtureProcess restored = rt.restore(original, image.id());

        assertThat(restored.pid()).isEqualTo(original.pid());
        assertThat(ProcState.threads(restored.pid())).containsExactlyInAnyOrderElementsOf(tids);
        assertThat(restored.check()).isEqualTo("PASS workers=63");
    }

    @Test
    void sixtyFourThreadsRestoredBesideTheRunningOriginalBothCarryOn() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = start();
        List<Integer> tids = tids(original);

        ProcessImage image = rt.checkpoint(original, false).image();
        FixtureProcess restored = rt.restore(original, image.id(), PidMode.NEW_PID_NAMESPACE);

        assertThat(ThreadsRoundTripTest.ownTids(restored.pid())).containsExactlyInAnyOrderElementsOf(
                image.threads().stream().map(ThreadState::tid).toList()).containsAll(tids);
        assertThat(ProcState.allThreadsRunningFreely(original.pid())).isTrue();
        assertThat(original.check()).isEqualTo("PASS workers=63");
        original.clearResult();
        assertThat(restored.check()).isEqualTo("PASS workers=63");
    }

    /** The tids the fixture reported (main first), as it sees them. */
    private static List<Integer> tids(FixtureProcess f) {
        return f.read("threads").lines().map(Integer::parseInt).toList();
    }
}
