// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.timers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.capture.CaptureResult;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.ProcessTimers;

@ExtendWith(Leftovers.class)
class TimerRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void intervalAndPosixTimersComeBackWithTheirIdsTimeLeftAndSigvalAndFire() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("timers", "-lrt")).start();

        CaptureResult r = rt.checkpoint(original, true);
        long restoreStart = System.nanoTime(); // CLOCK_MONOTONIC, the fixture's clock
        FixtureProcess restored = rt.restore(original, r.image().id());

        ProcessTimers timers = r.image().timers();
        assertThat(timers.intervalTimers()).singleElement().satisfies(t -> {
            assertThat(t.which()).isZero();
            assertThat(t.intervalMicros()).isEqualTo(700_000);
        });
        assertThat(timers.posixTimers()).hasSize(2);
        ProcessTimers.PosixTimer armed = timers.posixTimers().stream().filter(t -> t.remainingNanos() > 0)
                .findFirst().orElseThrow();
        assertThat(armed.value()).isEqualTo(0x1234abcdL);
        String[] left = restored.check().split(" ");
        assertThat(left[0]).isEqualTo("PASS");
        // a restored timer's clock starts at the restore: never later than it was due. One that fired
        // between the restore and the check (a loaded machine) was reloaded with its interval since.
        ProcessTimers.IntervalTimer real = timers.intervalTimers().get(0);
        boolean alarmSinceRestore = Long.parseLong(left[3]) > restoreStart;
        assertThat(Long.parseLong(left[1])).isPositive().isLessThanOrEqualTo(alarmSinceRestore
                ? real.intervalMicros() : real.remainingMicros());
        boolean usr2SinceRestore = Long.parseLong(left[4]) > restoreStart;
        assertThat(Long.parseLong(left[2])).isPositive().isLessThanOrEqualTo(usr2SinceRestore
                ? armed.intervalNanos() : armed.remainingNanos());
    }
}
