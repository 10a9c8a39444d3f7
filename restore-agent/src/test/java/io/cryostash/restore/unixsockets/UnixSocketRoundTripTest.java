// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.unixsockets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.UnixSocketFile;

@ExtendWith(Leftovers.class)
class UnixSocketRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void socketsWhosePeerIsClosedComeBackWithTheirQueueThenEndOfFile() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("peerclosed")).start();

        CaptureResult r = rt.checkpoint(original, true);
        FixtureProcess restored = rt.restore(original, r.image().id());

        assertThat(r.image().fds()).filteredOn(f -> f.kind() == FdEntry.Kind.UNIX_SOCKET)
                .extracting(f -> ((UnixSocketFile) f.file()).role())
                .containsExactly(UnixSocketFile.Role.PEER_CLOSED, UnixSocketFile.Role.PEER_CLOSED);
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void socketpairsListenersAndDatagramSocketsComeBackWithTheirQueues() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("unix")).start();

        CaptureResult r = rt.checkpoint(original, true);
        FixtureProcess restored = rt.restore(original, r.image().id());

        assertThat(r.image().fds()).filteredOn(f -> f.kind() == FdEntry.Kind.UNIX_SOCKET)
                .extracting(f -> ((UnixSocketFile) f.file()).role()).containsExactlyInAnyOrder(
                        UnixSocketFile.Role.PAIRED, UnixSocketFile.Role.PAIRED, UnixSocketFile.Role.PAIRED,
                        UnixSocketFile.Role.PAIRED, UnixSocketFile.Role.LISTENING, UnixSocketFile.Role.LISTENING,
                        UnixSocketFile.Role.UNCONNECTED, UnixSocketFile.Role.CONNECTED,
                        UnixSocketFile.Role.PEER_CLOSED);
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void leaveRunningCaptureTakesNothingFromTheQueues() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("unix")).start();

        rt.checkpoint(original, false);

        assertThat(original.check()).isEqualTo("PASS");
    }

    @Test
    void streamSocketConnectedToAProcessOutsideTheImageIsRefusedNamingIt() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess server = FixtureProcess.of(RoundTrip.fixture("unix")).start();
        // a client outside the image, connected to the fixture's listener
        Path connected = server.dir().resolve("client-connected");
        int client = Detached.run("python3 -c 'import socket,time,sys; s=socket.socket(socket.AF_UNIX);"
                + " s.connect(sys.argv[1]); open(sys.argv[2], \"w\").close(); time.sleep(60)' "
                + FixtureProcess.quote(server.file("listen.sock").toString()) + " "
                + FixtureProcess.quote(connected.toString()) + " </dev/null >/dev/null 2>&1 & echo $!");
        Leftovers.track(client);
        io.cryostash.agent.testing.Poll.until(java.time.Duration.ofSeconds(20), "the client to connect",
                () -> java.nio.file.Files.exists(connected));
        FixtureProcess other = FixtureProcess.attach(client, server.dir());

        assertThatThrownBy(() -> new Capturer(rt.store()).capture(other.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("a unix socket connected to a socket outside the image");
        assertThat(other.runningFreely()).isTrue();
    }

    @Test
    void descriptorsPassedAndNotReceivedYetAreRefusedNamingTheSocketAndTheTargetRunsOn() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("scmpass")).args("rights").start();
        long fd = original.number("fd");

        assertThatThrownBy(() -> new Capturer(rt.store()).capture(original.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("fd " + fd + ": a unix socket holding 1 passed descriptor (SCM_RIGHTS)")
                .hasMessageContaining("socket:[");

        assertThat(original.runningFreely()).isTrue();
        assertThat(original.check()).isEqualTo("PASS"); // the descriptor was still in flight, untouched
    }

    @Test
    void credentialsQueuedWithMessagesAreNoReasonToRefuse() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess restored = rt.killAndRestore(FixtureProcess.of(RoundTrip.fixture("scmpass")).args("creds").start());

        assertThat(restored.check()).isEqualTo("PASS");
    }
}
