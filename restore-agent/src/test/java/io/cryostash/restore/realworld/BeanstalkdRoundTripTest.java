// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.realworld;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.capture.CaptureResult;
import io.cryostash.restore.testing.RoundTrip;

/**
 * A server nobody here wrote, from Debian: beanstalkd, a work-queue server that keeps its jobs in
 * memory (single-threaded, epoll, a TCP listener). It is checkpointed with --kill while a client
 * keeps putting jobs on its own connection, and restored: that client's request sent during the
 * freeze is answered after the restore on the same connection and it carries on without an
 * error, a client connected before the checkpoint reads the jobs it put, and a new client
 * connects and finds every job.
 */
@ExtendWith(Leftovers.class)
class BeanstalkdRoundTripTest {
    private static final Path BEANSTALKD = Path.of("/usr/bin/beanstalkd");

    @TempDir
    Path tmp;

    @Test
    void beanstalkdUnderLoadIsKilledRestoredAndServesTheSameJobsOnTheSameConnections() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(BEANSTALKD), "needs beanstalkd (apt-get install beanstalkd; .ci/run does)");
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        Path dir = FixtureProcess.newDir("beanstalkd");
        int pid = Detached.run("cd " + FixtureProcess.quote(dir.toString()) + " && setsid " + BEANSTALKD + " -l 127.0.0.1 -p "
                + port + " </dev/null >" + FixtureProcess.quote(dir + "/out.log") + " 2>&1 & echo $!");
        FixtureProcess server = FixtureProcess.attach(pid, dir);
        Poll.until(Duration.ofSeconds(20), "beanstalkd to listen", () -> connects(port));

        try (Beanstalk before = new Beanstalk(port)) {
            for (int i = 1; i <= 100; i++) {
                assertThat(before.put("job-" + i)).isEqualTo(i);
            }
            AtomicInteger loadPuts = new AtomicInteger();
            AtomicReference<Throwable> loadError = new AtomicReference<>();
            Thread load = new Thread(() -> {
                try (Beanstalk b = new Beanstalk(port)) {
                    while (!Thread.currentThread().isInterrupted()) {
                        b.put("load-" + loadPuts.get());
                        loadPuts.incrementAndGet();
                    }
                } catch (Throwable t) {
                    if (!Thread.currentThread().isInterrupted()) {
                        loadError.set(t);
                    }
                }
            }, "beanstalk-load");
            load.start();
            try {
                Poll.until(Duration.ofSeconds(20), "the load to run", () -> loadPuts.get() >= 200);

                RoundTrip rt = new RoundTrip(tmp);
                CaptureResult r = rt.checkpoint(server, true);
                int afterCheckpoint = loadPuts.get();
                FixtureProcess restored = rt.restore(server, r.image().id());

                Poll.until(Duration.ofSeconds(30), "the load client to carry on after the restore",
                        () -> loadPuts.get() >= afterCheckpoint + 200 || loadError.get() != null);
                assertThat(loadError.get()).as("the load client's connection").isNull();
                assertThat(restored.runningFreely()).isTrue();
            } finally {
                load.interrupt();
                load.join(30_000);
            }
            int jobs = 100 + loadPuts.get();
            assertThat(before.peek(1)).isEqualTo("job-1");
            assertThat(before.peek(100)).isEqualTo("job-100");
            try (Beanstalk after = new Beanstalk(port)) {
                assertThat(after.peek(50)).isEqualTo("job-50");
                assertThat(after.stat("current-jobs-ready")).isBetween(jobs - 1, jobs + 1);
                assertThat(after.put("after")).isGreaterThan(100);
            }
        }
    }

    private static boolean connects(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Just enough of the beanstalkd protocol: put, peek, stats. */
    private static final class Beanstalk implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        Beanstalk(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            socket.setSoTimeout(60_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
            out = socket.getOutputStream();
        }

        int put(String body) throws IOException {
            send("put 0 0 600 " + body.length() + "\r\n" + body + "\r\n");
            String line = in.readLine();
            if (line == null || !line.startsWith("INSERTED ")) {
                throw new IOException("put answered " + line);
            }
            return Integer.parseInt(line.substring(9).trim());
        }

        String peek(int id) throws IOException {
            send("peek " + id + "\r\n");
            String line = in.readLine();
            if (line == null || !line.startsWith("FOUND ")) {
                throw new IOException("peek " + id + " answered " + line);
            }
            return in.readLine();
        }

        int stat(String name) throws IOException {
            send("stats\r\n");
            String line = in.readLine();
            if (line == null || !line.startsWith("OK ")) {
                throw new IOException("stats answered " + line);
            }
            char[] body = new char[Integer.parseInt(line.substring(3).trim()) + 2];
            int n = 0;
            while (n < body.length) {
                int r = in.read(body, n, body.length - n);
                if (r < 0) {
                    throw new IOException("stats cut short");
                }
                n += r;
            }
            for (String l : new String(body).split("\n")) {
                if (l.startsWith(name + ":")) {
                    return Integer.parseInt(l.substring(name.length() + 1).trim());
                }
            }
            throw new IOException("no " + name + " in stats");
        }

        private void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
