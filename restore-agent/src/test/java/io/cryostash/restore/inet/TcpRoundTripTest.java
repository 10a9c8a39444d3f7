// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.Restorer;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.InetSocketFile;

@ExtendWith(Leftovers.class)
class TcpRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void clientOfAKilledAndRestoredServerNoticesNothingAndTheServerKeepsAccepting() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("tcp")).startNoWait();
        Poll.until(Duration.ofSeconds(20), "the fixture's port", () -> original.number("port") > 0);
        int port = (int) original.number("port");
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = client.getOutputStream();
            original.awaitReady();
            assertThat(in.readLine()).isEqualTo("hello");
            out.write("queued\n".getBytes(StandardCharsets.US_ASCII)); // the server has not read these
            out.flush();
            Poll.until(Duration.ofSeconds(5), "the bytes to reach the server", () -> recvQueueOf(original.pid()) >= 7);

            CaptureResult r = rt.checkpoint(original, true);
            FixtureProcess restored = rt.restore(original, r.image().id());

            assertThat(r.image().fds()).filteredOn(f -> f.kind() == FdEntry.Kind.TCP_SOCKET)
                    .extracting(f -> ((InetSocketFile) f.file()).state()).containsExactlyInAnyOrder(
                            InetSocketFile.State.LISTENING, InetSocketFile.State.LISTENING,
                            InetSocketFile.State.ESTABLISHED, InetSocketFile.State.ESTABLISHED,
                            InetSocketFile.State.ESTABLISHED);
            carriesOn(original, restored, port, out, in, "ping"); // the same connection, after the restore
        }
    }

    /**
     * The restored tcp fixture carries on: the client's {@code rest} of "queued\nping" is answered
     * "pong" on its old connection, a new client is accepted and welcomed, and a datagram arrives.
     */
    private static void carriesOn(FixtureProcess original, FixtureProcess restored, int port, OutputStream out,
                                  BufferedReader in, String rest) throws IOException {
        out.write(rest.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        try (Socket second = new Socket(InetAddress.getLoopbackAddress(), port);
             DatagramSocket udp = new DatagramSocket()) {
            second.setSoTimeout(20_000);
            byte[] d = "udp".getBytes(StandardCharsets.US_ASCII);
            udp.send(new DatagramPacket(d, d.length, InetAddress.getLoopbackAddress(), (int) original.number("udp")));

            assertThat(restored.check()).isEqualTo("PASS");
            assertThat(in.readLine()).isEqualTo("pong");
            assertThat(new BufferedReader(new InputStreamReader(second.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine()).isEqualTo("welcome");
        }
    }

    /**
     * A connection waiting in the accept queue cannot be put back into one: a capture that kills
     * the server refuses (the server runs on and serves everyone), as CRIU does without
     * --tcp-skip-in-flight; with that option the capture gives it up, says so, and its client is reset.
     */
    @Test
    void aKillingCaptureRefusesConnectionsNotAcceptedYetUnlessTheyAreGivenUp() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("tcp")).startNoWait();
        Poll.until(Duration.ofSeconds(20), "the fixture's port", () -> original.number("port") > 0);
        int port = (int) original.number("port");
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
            client.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
            original.awaitReady();
            assertThat(in.readLine()).isEqualTo("hello");
            try (Socket waiting = new Socket(InetAddress.getLoopbackAddress(), port)) { // handshake done, not accepted
                waiting.setSoTimeout(20_000);
                Capturer capturer = new Capturer(rt.store());

                assertThatThrownBy(() -> capturer.capture(original.pid(), new CaptureOptions(true)))
                        .isInstanceOf(CaptureException.class)
                        .hasMessageContaining("1 connection(s) not accepted yet")
                        .hasMessageContaining("--tcp-skip-in-flight")
                        .hasMessageContaining("runs on");
                Poll.until(Duration.ofSeconds(10), "the refused server to run freely", original::runningFreely);

                CaptureResult r = capturer.capture(original.pid(), new CaptureOptions(true).skippingInFlight());
                original.awaitGone();
                assertThat(r.notes()).anyMatch(n -> n.contains("1 connection(s) not accepted yet")
                        && n.contains("given up (--tcp-skip-in-flight)"));
                assertThat(endOf(waiting)).as("the given-up client's connection").isEqualTo("reset");

                FixtureProcess restored = rt.restore(original, r.image().id()); // the rest carries on
                carriesOn(original, restored, port, client.getOutputStream(), in, "queued\nping");
            }
        }
    }

    /** How a connection ended: "reset", "end of stream", or the byte read. */
    private static String endOf(Socket s) throws IOException {
        try {
            int b = s.getInputStream().read();
            return b < 0 ? "end of stream" : "byte " + b;
        } catch (java.net.SocketException e) {
            if (e.getMessage() != null && e.getMessage().contains("reset")) {
                return "reset";
            }
            throw e;
        }
    }

    @Test
    void leaveRunningCaptureLeavesItsConnectionsWorking() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("tcp")).startNoWait();
        Poll.until(Duration.ofSeconds(20), "the fixture's port", () -> original.number("port") > 0);
        int port = (int) original.number("port");
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
             Socket second = new Socket(InetAddress.getLoopbackAddress(), port);
             DatagramSocket udp = new DatagramSocket()) {
            client.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
            original.awaitReady();
            assertThat(in.readLine()).isEqualTo("hello");
            client.getOutputStream().write("queued\n".getBytes(StandardCharsets.US_ASCII));

            rt.checkpoint(original, false); // repair mode only while frozen

            client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            byte[] d = "udp".getBytes(StandardCharsets.US_ASCII);
            udp.send(new DatagramPacket(d, d.length, InetAddress.getLoopbackAddress(), (int) original.number("udp")));
            assertThat(original.check()).isEqualTo("PASS");
            assertThat(in.readLine()).isEqualTo("pong");
        }
    }

    @Test
    void withTcpCloseEstablishedConnectionsComeBackClosedAndListenersStillListen() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("tcp")).startNoWait();
        Poll.until(Duration.ofSeconds(20), "the fixture's port", () -> original.number("port") > 0);
        try (Socket client = new Socket(InetAddress.getLoopbackAddress(), (int) original.number("port"))) {
            original.awaitReady();
            CaptureResult r = rt.checkpoint(original, true);
            int pid = new Restorer(rt.store()).restore(r.image().id(),
                    new RestoreOptions(false, rt.logDir(), true, null, RestoreOptions.PidMode.ORIGINAL)).pid();
            FixtureProcess restored = original.restoredAs(pid);

            assertThat(restored.check()).startsWith("FAIL:the client's bytes: read -1");
        }
    }

    /** Bytes queued to read on the fixture's sockets (from /proc/net/tcp of its pid). */
    private static long recvQueueOf(int pid) {
        long max = 0;
        java.util.List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/" + pid + "/net/tcp"));
        } catch (IOException e) {
            return -1;
        }
        for (String line : lines) {
            String[] w = line.trim().split("\\s+");
            if (w.length > 4 && w[3].equals("01")) {
                max = Math.max(max, Long.parseLong(w[4].split(":")[1], 16));
            }
        }
        return max;
    }
}
