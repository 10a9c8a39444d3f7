// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.network.NetworkLocks;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.tracking.KernelFeatures;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreException;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.restore.testing.RoundTrip;

/**
 * A client that keeps sending to a server while the server is checkpointed with --kill and
 * restored: with the network lock its packets are dropped in the gap (not answered with a
 * reset), its connection survives and every byte arrives once; without it, it is reset.
 */
@ExtendWith(Leftovers.class)
class NetworkLockTest {
    @TempDir
    Path tmp;

    @Test
    void aClientSendingThroughTheKillAndRestoreGapKeepsItsConnectionAndEveryByte() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("tcpstream")).startNoWait();
        try (Streamer client = Streamer.connect(original)) {
            original.awaitReady();
            client.awaitSent(64 * 1024); // it streams before the capture, during it, and in the gap after the kill

            CaptureResult r = new Capturer(rt.store()).capture(original.pid(), new CaptureOptions(true));
            original.awaitGone();
            Set<String> locks = NetworkLockRelease.tables(r.image());
            assertThat(locks).hasSize(1);
            assertThat(lockTables()).containsAll(locks); // held from the capture until the restore
            long sentBeforeRestore = client.sent();
            FixtureProcess restored = rt.restore(original, r.image().id());

            assertThat(lockTables()).doesNotContainAnyElementsOf(locks);
            client.awaitSent(sentBeforeRestore + 64 * 1024); // it goes on after the restore
            long total = client.finish();
            assertThat(client.failure()).isNull();
            assertThat(client.answer()).isEqualTo("got " + total);
            assertThat(restored.awaitResult()).isEqualTo("PASS " + total);
            assertThat(r.notes()).anyMatch(n -> n.contains("locked on the network"));
        }
    }

    @Test
    void withoutTheLockTheSameClientIsReset() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("tcpstream")).startNoWait();
        try (Streamer client = Streamer.connect(original)) {
            original.awaitReady();
            client.awaitSent(64 * 1024);

            CaptureResult r = new Capturer(rt.store()).capture(original.pid(),
                    new CaptureOptions(true).withoutNetworkLock());
            original.awaitGone();
            assertThat(NetworkLockRelease.tables(r.image())).isEmpty();
            Poll.until(Duration.ofSeconds(30), "the client to be reset while no socket exists",
                    () -> client.failure() != null);
            rt.restore(original, r.image().id());

            assertThat(client.failure()).hasMessageContaining("reset");
        }
    }

    /**
     * Where the connections cannot be locked (no nft here), a capture that kills refuses before
     * killing: the server runs on and its client keeps streaming. --no-network-lock accepts the
     * loss, and the capture's notes say what is lost.
     */
    @Test
    void withoutNftAKillingCaptureRefusesUnlessTheLossIsAccepted() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("tcpstream")).startNoWait();
        try (Streamer client = Streamer.connect(original)) {
            original.awaitReady();
            client.awaitSent(64 * 1024);
            Capturer noNft = new Capturer(rt.store(), new AreaChunker(), KernelFeatures.probe(), () -> null);
            Set<String> before = lockTables();

            assertThatThrownBy(() -> noNft.capture(original.pid(), new CaptureOptions(true)))
                    .isInstanceOf(CaptureException.class)
                    .hasMessageContaining("1 established TCP connection(s)")
                    .hasMessageContaining("nftables")
                    .hasMessageContaining("--no-network-lock")
                    .hasMessageContaining("runs on");
            Poll.until(Duration.ofSeconds(10), "the refused server to run freely", original::runningFreely);
            long sent = client.sent();
            client.awaitSent(sent + 64 * 1024); // the connection still flows
            assertThat(client.failure()).isNull();
            assertThat(lockTables()).isEqualTo(before);

            CaptureResult r = noNft.capture(original.pid(), new CaptureOptions(true).withoutNetworkLock());
            original.awaitGone();
            assertThat(r.notes()).anyMatch(n -> n.contains("not locked on the network (--no-network-lock)"));
            assertThat(NetworkLockRelease.tables(r.image())).isEmpty();
        }
    }

    @Test
    void aFailedRestoreReleasesTheLock() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("tcpstream")).startNoWait();
        Poll.until(Duration.ofSeconds(20), "the fixture's port", () -> original.number("port") > 0);
        int port = (int) original.number("port");
        try (Streamer client = Streamer.connect(original)) {
            original.awaitReady();
            CaptureResult r = new Capturer(rt.store()).capture(original.pid(), new CaptureOptions(true));
            original.awaitGone();
            Set<String> locks = NetworkLockRelease.tables(r.image());
            assertThat(lockTables()).containsAll(locks);
            try (ServerSocket squatter = new ServerSocket()) { // the server's port is taken: the restore fails
                squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));

                assertThatThrownBy(() -> rt.restore(original, r.image().id())).isInstanceOf(RestoreException.class)
                        .hasMessageContaining("in use");
            }
            assertThat(lockTables()).doesNotContainAnyElementsOf(locks);
        }
    }

    private static Set<String> lockTables() {
        return Set.copyOf(NetworkLocks.onThisHost().list().stream().map(NetworkLocks.Lock::table).toList());
    }

    /** Sends the fixture's byte pattern (byte n is n % 251) in small writes from its own thread until told to stop. */
    private static final class Streamer implements AutoCloseable {
        private final Socket socket;
        private final AtomicLong sent = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicReference<IOException> failure = new AtomicReference<>();
        private final Thread thread;

        private Streamer(Socket socket) {
            this.socket = socket;
            this.thread = new Thread(this::run, "streamer");
            thread.setDaemon(true);
            thread.start();
        }

        static Streamer connect(FixtureProcess server) throws IOException {
            Poll.until(Duration.ofSeconds(20), "the fixture's port", () -> server.number("port") > 0);
            Socket s = new Socket(InetAddress.getLoopbackAddress(), (int) server.number("port"));
            s.setSoTimeout(60_000);
            return new Streamer(s);
        }

        private void run() {
            byte[] chunk = new byte[1000];
            try {
                OutputStream out = socket.getOutputStream();
                while (!stop.get()) {
                    long n = sent.get();
                    for (int i = 0; i < chunk.length; i++) {
                        chunk[i] = (byte) ((n + i) % 251);
                    }
                    out.write(chunk);
                    sent.addAndGet(chunk.length);
                    LockSupport.parkNanos(Duration.ofMillis(2).toNanos());
                }
            } catch (IOException e) {
                failure.set(e);
            }
        }

        void awaitSent(long bytes) {
            Poll.until(Duration.ofSeconds(60), () -> "the client to have sent " + bytes + " bytes (sent " + sent.get()
                    + ", failure " + failure.get() + ")", () -> sent.get() >= bytes || failure.get() != null);
        }

        long sent() {
            return sent.get();
        }

        IOException failure() {
            return failure.get();
        }

        /** Stops sending and shuts its side down; returns the bytes sent. */
        long finish() throws Exception {
            stop.set(true);
            thread.join(60_000);
            socket.shutdownOutput();
            return sent.get();
        }

        String answer() throws IOException {
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }

        @Override
        public void close() throws IOException {
            stop.set(true);
            socket.close();
        }
    }
}
