// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.threads;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.restore.testing.RoundTrip;

@ExtendWith(Leftovers.class)
class CpuStateRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void vectorGeneralAndX87RegistersSurviveACheckpointInsideASpinLoop() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("registers", "-lm")).start();
        Poll.sleep(50); // let it enter the asm loop

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).startsWith("PASS spins=");
    }

    @Test
    void registersSurviveInBothCopiesWhenTheOriginalKeepsRunning() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("registers", "-lm")).start();
        Poll.sleep(50);

        String id = rt.checkpoint(original, false).image().id();
        FixtureProcess restored = rt.restore(original, id);

        assertThat(restored.check()).startsWith("PASS spins=");
        restored.clearResult();
        assertThat(original.check()).startsWith("PASS spins=");
    }

    @Test
    void threadLocalStorageAndFsBaseSurvive() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("tls")).start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).startsWith("PASS counter=");
    }
}
