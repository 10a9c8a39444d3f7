// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inet;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.capture.CaptureResult;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.InetSocketFile;

@ExtendWith(Leftovers.class)
class UdpQueueTest {
    @TempDir
    Path tmp;

    @Test
    void queuedDatagramsComeBackInOrderFromTheirSenders() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("udpqueue")).start();

        CaptureResult r = rt.checkpoint(original, true);
        FixtureProcess restored = rt.restore(original, r.image().id());

        assertThat(r.image().fds()).filteredOn(f -> f.kind() == FdEntry.Kind.UDP_SOCKET)
                .flatExtracting(f -> ((InetSocketFile) f.file()).queued()).hasSize(7);
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void leaveRunningCaptureTakesNoDatagram() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("udpqueue")).start();

        rt.checkpoint(original, false);

        assertThat(original.check()).isEqualTo("PASS");
    }
}
