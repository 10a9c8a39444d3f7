// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.incremental;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;

/**
 * Never-touched and dropped pages of a tracked area hold userfaultfd markers that page-table
 * walks report as swapped: whatever path a capture takes (full, pre-copied incremental,
 * frozen incremental, untracked), they must not be stored as pages of zeros.
 */
@ExtendWith(Leftovers.class)
class EmptyPagesTest {
    /** Pages 0-7 written, page 3 dropped again (see sparse.c). */
    private static final long WRITTEN_PAGES = 7;

    @TempDir
    Path tmp;

    @Test
    void markersOfEmptyPagesAreNotStoredAsData() {
        RoundTrip rt = new RoundTrip(tmp);
        Capturer capturer = new Capturer(rt.store());
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("sparse")).start();
        long addr = original.number("addr");

        CaptureResult full = capturer.capture(original.pid(), new CaptureOptions(false, null, true));
        assertThat(storedPages(full.image(), addr)).as("full, tracking armed").isEqualTo(WRITTEN_PAGES);
        CaptureResult preCopied = capturer.capture(original.pid(), new CaptureOptions(false, full.image().id(), true));
        assertThat(storedPages(preCopied.image(), addr)).as("pre-copied incremental").isEqualTo(WRITTEN_PAGES);
        CaptureResult untracked = capturer.capture(original.pid(), new CaptureOptions(false));
        assertThat(storedPages(untracked.image(), addr)).as("full, untracked").isEqualTo(WRITTEN_PAGES);
        CaptureResult frozen = capturer.capture(original.pid(),
                new CaptureOptions(true, preCopied.image().id(), true));
        original.awaitGone();
        assertThat(storedPages(frozen.image(), addr)).as("incremental with --kill").isEqualTo(WRITTEN_PAGES);

        FixtureProcess restored = rt.restore(original, frozen.image().id());
        assertThat(restored.check()).isEqualTo("PASS");
    }

    private static long storedPages(ProcessImage image, long addr) {
        MemoryArea area = image.areas().stream().filter(a -> a.start() == addr).findFirst().orElseThrow(
                () -> new AssertionError("no area starts at 0x" + Long.toHexString(addr) + " in " + image.areas()));
        assertThat(area.length()).as("the fixture's area alone").isEqualTo(64 * 4096);
        return area.storedPages();
    }
}
