// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.incremental;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.tracking.KernelFeatures;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.testing.RoundTrip;

/**
 * Leave-running incremental captures copy written pages while the program runs and then, frozen,
 * only what it wrote meanwhile. The program here writes all the time, so pages are written
 * after the pass copied them; the restored image must hold memory exactly as at the freeze,
 * which the program itself checks (every page against its record of the last write).
 */
@ExtendWith(Leftovers.class)
class PreCopyUnderWritesTest {
    @TempDir
    Path tmp;

    @Test
    void preCopiedImagesOfAProgramThatKeepsWritingRestoreMemoryAsAtTheFreeze() {
        RoundTrip rt = new RoundTrip(tmp);
        Capturer capturer = new Capturer(rt.store());
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("scribbler")).start();
        original.awaitNumberAbove("steps", 4096);
        boolean tracks = KernelFeatures.probe().canTrackWrites();

        CaptureResult last = capturer.capture(original.pid(), new CaptureOptions(false, null, true));
        for (int i = 1; i <= 3; i++) {
            long steps = original.number("steps");
            original.awaitNumberAbove("steps", steps + 4096); // thousands of pages written since the parent
            last = capturer.capture(original.pid(), new CaptureOptions(false, last.image().id(), true));
            assertThat(original.runningFreely()).isTrue();
            if (tracks) {
                assertThat(last.image().tracking()).isEqualTo("pre-copy+uffd-wp");
                assertThat(last.phases().preCopyNanos()).as("a pass ran before the freeze").isPositive();
            }
        }

        original.kill();
        original.awaitGone();
        FixtureProcess restored = rt.restore(original, last.image().id());
        assertThat(restored.check()).isEqualTo("PASS pages=16384");
    }
}
