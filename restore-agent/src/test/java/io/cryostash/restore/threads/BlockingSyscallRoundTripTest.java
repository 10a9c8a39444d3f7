// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.threads;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.restore.testing.RoundTrip;

/**
 * A process frozen inside a blocking call. After restore it must still be waiting (the call
 * restarted, or failed with EINTR and the program called it again), and SIGUSR1 ends the wait
 * with EINTR; the fixture checks every return value.
 */
@ExtendWith(Leftovers.class)
class BlockingSyscallRoundTripTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nanosleep", "select", "poll", "pause", "sigsuspend"})
    void callInterruptedByTheCheckpointRestartsOrFailsWithEintr(String call) {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("syscalls")).args(call).start();
        awaitSleeping(original);

        FixtureProcess restored = rt.killAndRestore(original);
        awaitSleeping(restored); // restarted (or called again after EINTR), not spinning, not dead

        assertThat(restored.check()).startsWith("PASS eintr=");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"nanosleep", "pause"})
    void callRestartsInBothCopiesWhenTheOriginalKeepsRunning(String call) {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("syscalls")).args(call).start();
        awaitSleeping(original);

        String id = rt.checkpoint(original, false).image().id();
        FixtureProcess restored = rt.restore(original, id);
        awaitSleeping(original);
        awaitSleeping(restored);

        assertThat(original.check()).startsWith("PASS eintr=");
        original.clearResult();
        assertThat(restored.check()).startsWith("PASS eintr=");
    }

    @org.junit.jupiter.api.Test
    void readFromAPipeThatCannotBeRestoredSeesEndOfFileNotGarbage() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("syscalls")).args("read-pipe").start();
        awaitSleeping(original);

        FixtureProcess restored = rt.killAndRestore(original);
        awaitSleeping(restored);

        assertThat(restored.check()).isIn("PASS eintr=0 eof=1", "PASS eintr=1 eof=0");
    }

    private static void awaitSleeping(FixtureProcess f) {
        Poll.until(java.time.Duration.ofSeconds(10), () -> "pid " + f.pid() + " to sleep (state " + f.state() + ")",
                () -> ProcState.of(f.pid()) == 'S');
    }
}
