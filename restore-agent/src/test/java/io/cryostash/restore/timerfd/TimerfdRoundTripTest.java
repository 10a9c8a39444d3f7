// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.timerfd;

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
import io.cryostash.schema.image.fds.TimerfdFile;

@ExtendWith(Leftovers.class)
class TimerfdRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void restoredTimerfdHasAtMostTheTimeItHadLeftItsIntervalAndItsPendingTick() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("timerfd")).start();

        CaptureResult r = rt.checkpoint(original, true);
        FixtureProcess restored = rt.restore(original, r.image().id());

        TimerfdFile periodic = (TimerfdFile) r.image().fds().stream()
                .filter(f -> f.kind() == FdEntry.Kind.TIMERFD && ((TimerfdFile) f.file()).intervalNanos() != 0)
                .findFirst().orElseThrow().file();
        assertThat(periodic.clockId()).isEqualTo(1);
        assertThat(periodic.intervalNanos()).isEqualTo(300_000_000L);
        String result = restored.check();
        assertThat(result).startsWith("PASS ");
        long leftAfterRestore = Long.parseLong(result.substring(5));
        // the clock of a restored timer starts at the restore: never later than it was due
        assertThat(leftAfterRestore).isPositive().isLessThanOrEqualTo(periodic.remainingNanos());
        assertThat(r.image().fds()).filteredOn(f -> f.kind() == FdEntry.Kind.TIMERFD)
                .extracting(f -> ((TimerfdFile) f.file()).ticks()).contains(1L);
    }
}
