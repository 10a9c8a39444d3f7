// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.signals;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.restore.testing.RoundTrip;

@ExtendWith(Leftovers.class)
class SignalRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void handlersFlagsMasksIgnoredBlockedSetAndAltStackSurvive() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("signals")).start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void ignoredAndBlockedSignalsDoNotKillTheRestoredProcess() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("signals")).start();
        String blocked = ProcState.statusLine(original.pid(), "SigBlk");
        String ignored = ProcState.statusLine(original.pid(), "SigIgn");
        FixtureProcess restored = rt.killAndRestore(original);
        assertThat(ProcState.statusLine(restored.pid(), "SigBlk")).isEqualTo(blocked).isEqualTo("0000000008004000");
        assertThat(ProcState.statusLine(restored.pid(), "SigIgn")).isEqualTo(ignored).endsWith("1"); // SIGHUP

        restored.signal(1); // SIGHUP: ignored
        restored.signal(FixtureProcess.SIGTERM); // blocked: stays pending
        Poll.sleep(50);

        assertThat(ProcState.of(restored.pid())).isEqualTo('S');
        assertThat(ProcState.statusLine(restored.pid(), "SigBlk")).isEqualTo(blocked);
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void processCheckpointedInsideASignalHandlerReturnsFromItAfterRestore() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("inhandler")).start();
        assertThat(ProcState.statusLine(original.pid(), "SigBlk")).isEqualTo("0000000000000801"); // USR2, HUP

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(ProcState.statusLine(restored.pid(), "SigBlk")).isEqualTo("0000000000000801");
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void signalPendingAtCheckpointIsStillPendingAfterRestore() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("pending")).start();
        original.signal(FixtureProcess.SIGTERM);
        Poll.until(java.time.Duration.ofSeconds(5), "SIGTERM pending",
                () -> !ProcState.statusLine(original.pid(), "ShdPnd").equals("0000000000000000"));

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).isEqualTo("PASS");
    }
}
