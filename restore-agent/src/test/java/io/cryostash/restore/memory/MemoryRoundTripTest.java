// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.capture.CaptureResult;
import io.cryostash.restore.testing.RoundTrip;

@ExtendWith(Leftovers.class)
class MemoryRoundTripTest {
    private static final long GIB = 1L << 30;

    @TempDir
    Path tmp;

    @Test
    void restoredProcessKeepsHeapStackGlobalsAndSpecialMappings() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("memory")).start();
        long rssBefore = ProcState.kbField(original.pid(), "smaps_rollup", "Rss");

        CaptureResult image = rt.checkpoint(original, true);
        FixtureProcess restored = rt.restore(original, image.image().id());

        long rssAfter = ProcState.kbField(restored.pid(), "smaps_rollup", "Rss");
        assertThat(restored.check()).isEqualTo("PASS");
        // the 1 GiB sparse map stays sparse: only the pages that were present come back
        assertThat(image.memoryBytes()).isLessThan(64L << 20);
        assertThat(rssAfter).as("RSS after restore vs before (%d)", rssBefore)
                .isLessThan(rssBefore + (16L << 20)).isLessThan(GIB / 8);
        // where the restore's time went: every phase ran, and together they are the restore's wall time
        io.cryostash.restore.RestorePhases phases = rt.lastRestore().phases();
        assertThat(phases.nanos().keySet()).containsExactlyInAnyOrder(io.cryostash.restore.RestorePhase.values());
        long sum = phases.nanos().values().stream().mapToLong(Long::longValue).sum();
        assertThat(sum).isPositive().isLessThanOrEqualTo(rt.lastRestore().nanos());
        assertThat(phases.format()).startsWith("read image ").contains(", memory ").contains(", run ");
    }

    @Test
    void madviseAdviceLocksAndNoReserveComeBackWithTheirAreas() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("settings")).start();
        SettingsFixture areas = SettingsFixture.of(original);
        java.util.Map<String, java.util.Set<String>> before = areas.settings(original.pid());
        long hugeBefore = areas.field(original.pid(), "huge", "AnonHugePages");
        assertThat(before).isEqualTo(SettingsFixture.EXPECTED);

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(areas.settings(restored.pid())).isEqualTo(before);
        assertThat(areas.field(restored.pid(), "locked", "Locked")).isEqualTo(64);
        if (hugeBefore > 0) { // advice set before the pages were written: they came back as huge pages too
            assertThat(areas.field(restored.pid(), "huge", "AnonHugePages")).isPositive();
        }
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void sparseMappingStaysSparseWhenTheOriginalKeepsRunning() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("memory")).start();
        long rssBefore = ProcState.kbField(original.pid(), "smaps_rollup", "Rss");

        CaptureResult image = rt.checkpoint(original, false);
        assertThat(original.runningFreely()).isTrue();
        FixtureProcess restored = rt.restore(original, image.image().id());

        long rssAfter = ProcState.kbField(restored.pid(), "smaps_rollup", "Rss");
        assertThat(rssAfter).isLessThan(rssBefore + (16L << 20));
        assertThat(original.check()).isEqualTo("PASS");
        original.clearResult();
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void sharedFileMappingsManySmallAreasAndExtremeAddressesSurvive() throws java.io.IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("layout")).start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).isEqualTo("PASS");
        String file = java.nio.file.Files.readString(restored.file("shared.dat"));
        assertThat(file).startsWith("written before").contains("written after");
    }

    @Test
    void fileMappedFromAPathWithSpacesAndParenthesesComesBack() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("mapfile"))
                .args("a dir (with) spaces/mapped file (deleted).dat").start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(ProcState.read(restored.pid(), "maps")).contains("a dir (with) spaces/mapped file (deleted).dat");
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void vdsoClockKeepsWorkingAndMonotonicTimeGoesOn() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("vdso")).start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).startsWith("PASS calls=");
    }
}
