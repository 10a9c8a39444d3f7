// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.eventfd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.restore.testing.RoundTrip;

@ExtendWith(Leftovers.class)
class EventfdRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void restoredEventfdKeepsItsCounterSemaphoreModeAndFlags() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess restored = rt.killAndRestore(FixtureProcess.of(RoundTrip.fixture("eventfd")).start());

        assertThat(restored.check()).isEqualTo("PASS");
    }
}
