// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.pipes;

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
import io.cryostash.schema.image.fds.PipeFile;

@ExtendWith(Leftovers.class)
class PipeRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void pipesAndAFifoToSelfKeepEveryByteInFlightTheirCapacityAndFlags() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("pipes")).start();

        CaptureResult r = rt.checkpoint(original, true);
        FixtureProcess restored = rt.restore(original, r.image().id());

        assertThat(restored.check()).isEqualTo("PASS");
        assertThat(r.notes()).isEmpty();
        assertThat(r.image().fds()).filteredOn(f -> f.kind() == FdEntry.Kind.PIPE && f.dupOf() != null).hasSize(1);
        assertThat(r.image().fds()).filteredOn(f -> f.file() instanceof PipeFile p && p.queued() != null)
                .extracting(f -> ((PipeFile) f.file()).queued().length).contains(10, 200_000, 4, 16);
    }

    @Test
    void captureLeavingTheProcessRunningLeavesItsPipesAsTheyWere() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("pipes")).start();

        rt.checkpoint(original, false);

        // tee copied the queued bytes: the original still reads every one of them
        assertThat(original.check()).isEqualTo("PASS");
    }
}
