// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.restore.testing.RoundTrip;

/**
 * Descriptors made in one batch inside the husk ({@link DescriptorBatch}) land at their numbers
 * with their flags even where the plan has to move them: swapped pipe ends, gaps, a lone write
 * end, a number far above the rest, close-on-exec on one end of a pipe only.
 */
@ExtendWith(Leftovers.class)
class BulkDescriptorRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void descriptorsMadeInBulkLandAtTheirNumbersWithTheirFlags() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess restored = rt.killAndRestore(FixtureProcess.of(RoundTrip.fixture("fdlayout")).start());

        assertThat(restored.check()).isEqualTo("PASS");
    }
}
