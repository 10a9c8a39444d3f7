// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.restore.testing.RoundTrip;

/** What restored processes go on to do: grow, fork, be checkpointed again; several from one image. */
@ExtendWith(Leftovers.class)
class RepeatedRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void restoredProcessGrowsItsStackForksSpawnsAndAllocates() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("afterlife")).start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void restoredProcessCanBeCheckpointedAndRestoredAgain() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("memory")).start();

        FixtureProcess first = rt.killAndRestore(original);
        FixtureProcess second = rt.killAndRestore(first);
        FixtureProcess third = rt.killAndRestore(second);

        assertThat(third.check()).isEqualTo("PASS");
    }

    @Test
    void counterCarriesOnThroughThreeGenerations() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess f = FixtureProcess.of(CFixtures.shared("counter")).start();
        long last = f.awaitNumberAbove("counter", 0);
        for (int generation = 0; generation < 3; generation++) {
            f = rt.killAndRestore(f);
            long atCheckpoint = f.number("counter");
            assertThat(atCheckpoint).isGreaterThanOrEqualTo(last);
            last = f.awaitNumberAbove("counter", atCheckpoint);
            assertThat(f.runningFreely()).isTrue();
        }
        assertThat(Long.parseLong(f.check().substring(5))).isGreaterThan(last);
    }

    @Test
    void oneImageRestoresIntoTwoIndependentProcesses() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("registers", "-lm")).start();
        String id = rt.checkpoint(original, true).image().id();

        FixtureProcess a = rt.restore(original, id);
        FixtureProcess b = rt.restore(original, id);

        assertThat(a.pid()).isNotEqualTo(b.pid());
        assertThat(a.check()).startsWith("PASS spins=");
        a.clearResult();
        assertThat(b.runningFreely()).isTrue();
        assertThat(b.check()).startsWith("PASS spins=");
    }
}
