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
import io.cryostash.schema.image.ProcessImage;

/** Incremental images: only what changed is read and stored, and each image restores on its own. */
@ExtendWith(Leftovers.class)
class IncrementalRoundTripTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    @Test
    void incrementalImagesReadOnlyWrittenPagesAndRestoreCompletely() {
        RoundTrip rt = new RoundTrip(tmp);
        Capturer capturer = new Capturer(rt.store());
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("incremental")).start();

        CaptureResult full = capturer.capture(original.pid(), new CaptureOptions(false, null, true));
        assertThat(full.image().tracking()).isEqualTo("full");
        assertThat(full.memoryBytes()).isGreaterThan(64 * MIB);

        bump(original, 1);
        CaptureResult first = capturer.capture(original.pid(), new CaptureOptions(false, full.image().id(), true));
        bump(original, 2);
        CaptureResult second = capturer.capture(original.pid(), new CaptureOptions(true, first.image().id(), true));
        original.awaitGone();

        ProcessImage image = second.image();
        assertThat(image.parent()).isEqualTo(first.image().id());
        if (KernelFeatures.probe().canTrackWrites()) {
            assertThat(image.tracking()).isEqualTo("uffd-wp");
            // 100 written pages in 64 KiB chunks plus the stack and libc's data: a few MiB, not 64
            assertThat(second.memoryBytes()).isLessThan(4 * MIB);
        } else {
            assertThat(image.tracking()).isEqualTo("content-hash");
        }

        FixtureProcess restored = rt.restore(original, image.id());
        assertThat(restored.check()).isEqualTo("PASS generation=2");
    }

    @Test
    void trackingIsNotTrustedAgainstAnImageItWasNotResetFor() {
        RoundTrip rt = new RoundTrip(tmp);
        Capturer capturer = new Capturer(rt.store());
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("incremental")).start();

        CaptureResult a = capturer.capture(original.pid(), new CaptureOptions(false, null, true));
        bump(original, 1);
        capturer.capture(original.pid(), new CaptureOptions(false, null, true)); // resets tracking: not a's
        bump(original, 2);
        CaptureResult c = capturer.capture(original.pid(), new CaptureOptions(true, a.image().id(), true));
        original.awaitGone();

        // the writes of generation 1 were reset by the middle capture: reading against a must not trust them
        assertThat(c.image().tracking()).isEqualTo("content-hash");
        FixtureProcess restored = rt.restore(original, c.image().id());
        assertThat(restored.check()).isEqualTo("PASS generation=2");
    }

    @Test
    void preCopyFreezesOnlyToCopyWhatChangedAndTheImageIsComplete() {
        RoundTrip rt = new RoundTrip(tmp);
        Capturer capturer = new Capturer(rt.store());
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("incremental")).start();
        bump(original, 1);

        CaptureResult r = capturer.capture(original.pid(), new CaptureOptions(false, null, false, true));
        assertThat(original.runningFreely()).isTrue();
        if (KernelFeatures.probe().canTrackWrites()) {
            assertThat(r.image().tracking()).isEqualTo("pre-copy+uffd-wp");
            assertThat(r.memoryBytes()).as("bytes copied while frozen").isLessThan(4 * MIB);
        }
        assertThat(r.image().areas().stream().mapToLong(a -> a.storedPages() * 4096).sum())
                .as("the image still holds every page").isGreaterThan(64 * MIB);

        original.kill();
        original.awaitGone();
        FixtureProcess restored = rt.restore(original, r.image().id());
        assertThat(restored.check()).isEqualTo("PASS generation=1");
    }

    private static void bump(FixtureProcess f, long generation) {
        f.signal(FixtureProcess.SIGUSR2);
        f.awaitNumberAbove("generation", generation - 1);
    }
}
