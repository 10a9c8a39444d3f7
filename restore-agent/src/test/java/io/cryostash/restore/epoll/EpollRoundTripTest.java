// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.epoll;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.restore.testing.RoundTrip;

@ExtendWith(Leftovers.class)
class EpollRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void restoredEpollSetReportsTheSameReadinessWithItsDataAndEvents() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess restored = rt.killAndRestore(FixtureProcess.of(RoundTrip.fixture("epoll")).start());

        // pipe with a byte (1111: in), eventfd (2222: in|out), its duplicate (5555: in); the empty pipe is not ready
        assertThat(restored.check()).isEqualTo("PASS 11110001 22220005 55550001");
    }
}
