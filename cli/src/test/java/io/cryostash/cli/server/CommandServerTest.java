// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;

/**
 * {@code cryostash daemon}'s socket driven by the real client (target/cryostash-client, built
 * from src/main/c) exactly as the launcher runs it: a checkpoint and a restore served by this
 * JVM carry a process on, with the client's relative paths meaning what they mean in its working
 * directory; what the daemon must not run for a client (another configuration, a service,
 * another user) comes back as "not served" (111) with nothing done.
 */
@ExtendWith(Leftovers.class)
class CommandServerTest {
    private static final Path CLIENT = Path.of("target", "cryostash-client").toAbsolutePath();

    @TempDir
    Path tmp;

    private CommandServer server;
    private Path socket;

    record Answer(int exit, String out, String err) {
        String lastLine() {
            List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
            return lines.isEmpty() ? "" : lines.get(lines.size() - 1).trim();
        }
    }

    @BeforeEach
    void serve() throws IOException {
        socket = tmp.resolve("home").resolve("run").resolve("cli.sock");
        server = CommandServer.bind(socket, System.getenv()).serveInBackground();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    @Test
    void aCheckpointAndARestoreServedByTheDaemonCarryTheProcessOn() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).start();
        long before = counter.awaitNumberAbove("counter", 0);

        // "store" and "logs" are relative: the client's working directory decides, not the daemon's
        Answer checkpoint = client(work, Map.of(), "checkpoint", Integer.toString(counter.pid()), "--kill", "--store", "store");
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        assertThat(checkpoint.err()).contains("checkpointed pid " + counter.pid());
        String id = checkpoint.lastLine();
        assertThat(id).matches("[0-9a-f]{64}");
        assertThat(work.resolve("store")).isDirectory();
        counter.awaitGone();
        long atCheckpoint = counter.number("counter");
        assertThat(atCheckpoint).isGreaterThanOrEqualTo(before);

        Answer images = client(work, Map.of(), "images", "--store", "store");
        assertThat(images.exit()).as(images.err()).isZero();
        assertThat(images.out()).contains(id).contains("counter");

        Answer restore = client(work, Map.of(), "restore", id, "--store", "store", "--log-dir", "logs");
        assertThat(restore.exit()).as(restore.err()).isZero();
        int pid = Integer.parseInt(restore.lastLine());
        Leftovers.track(pid);
        FixtureProcess restored = counter.restoredAs(pid);
        assertThat(restored.runningFreely()).isTrue();
        restored.awaitNumberAbove("counter", atCheckpoint);
        assertThat(restored.check()).startsWith("PASS ");

        // a failing command: its message and status reach the client as from a JVM of its own
        Answer missing = client(work, Map.of(), "restore", "0123456789ab", "--store", "store");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).startsWith("cryostash: ").contains("0123456789ab");
        assertThat(missing.out()).isEmpty();
    }

    @Test
    void whatTheDaemonMustNotRunComesBackNotServed() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("work"));
        // another configuration: the daemon answers only for the environment it was started with
        Answer otherStore = client(work, Map.of("CRYOSTASH_STORE", tmp.resolve("elsewhere").toString()),
                "images");
        assertThat(otherStore).isEqualTo(new Answer(111, "", ""));
        assertThat(tmp.resolve("elsewhere")).doesNotExist();
        // services run in a process of their own
        assertThat(client(work, Map.of(), "agent", "--help")).isEqualTo(new Answer(111, "", ""));
        assertThat(client(work, Map.of(), "restore", "x", "--new-pty").exit()).isEqualTo(111);
        // the same request from this user is served
        Answer help = client(work, Map.of(), "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("checkpoint", "restore", "daemon");
    }

    @Test
    void anotherUserCannotUseTheDaemon() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent()))).isEqualTo("rwx------");
        // even with the socket opened up, the daemon checks who is calling
        Files.setPosixFilePermissions(socket.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path marker = tmp.resolve("made-by-nobody");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        Answer nobody = run(tmp, Map.of(), List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                CLIENT.toString(), socket.toString(), "images", "--store", marker.toString()));
        assertThat(nobody.exit()).isEqualTo(111);
        assertThat(nobody.out()).isEmpty();
        assertThat(marker).doesNotExist();
    }

    @Test
    void theClientUsesNoDaemonOfAnotherUser() throws Exception {
        // a "daemon" of user nobody that would answer anything: the client must not take its word
        Path dir = Files.createDirectories(tmp.resolve("nobody"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path fake = dir.resolve("cli.sock");
        String script = "import os,socket,struct\n"
                + "s=socket.socket(socket.AF_UNIX)\ns.bind('" + fake + "')\nos.chmod('" + fake + "',0o777)\ns.listen(1)\n"
                + "print('listening',flush=True)\nc,_=s.accept()\nc.recv(65536)\n"
                + "c.sendall(b'S'+struct.pack('>I',0)+b'O'+struct.pack('>I',7)+b'forged\\n'+b'X'+struct.pack('>I',4)+struct.pack('>I',0))\n"
                + "c.recv(1)\nc.close()\n";
        Process nobody = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script)
                .redirectErrorStream(true).start();
        try {
            var ready = new java.io.BufferedReader(new java.io.InputStreamReader(nobody.getInputStream()));
            assertThat(ready.readLine()).isEqualTo("listening");
            Answer a = run(tmp, Map.of(), List.of(CLIENT.toString(), fake.toString(), "images"));
            assertThat(a).isEqualTo(new Answer(111, "", ""));
        } finally {
            nobody.destroyForcibly();
        }
    }

    @Test
    void aSecondDaemonOnTheSameSocketIsRefusedAndAStaleSocketReplaced() throws Exception {
        assertThatThrownBy(() -> CommandServer.bind(socket, System.getenv()))
                .hasMessageContaining("another cryostash daemon serves " + socket);
        server.close();
        Files.createFile(socket); // as left by a daemon killed with SIGKILL (no listener behind it)
        server = CommandServer.bind(socket, System.getenv()).serveInBackground();
        assertThat(client(tmp, Map.of(), "--help").exit()).isZero();
    }

    @Test
    void theDaemonTrainsOnItsTraineeAndLeavesNothingBehind() throws Exception {
        Training training = server.training(2).orElseThrow(() -> new AssertionError("no cryostash-trainee in target/"));
        String outcome = training.run();
        assertThat(outcome).startsWith("trained on 2 checkpoints and restores");
        try (var left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("cryostash-daemon-training-"));
        }
        // killed at the end of each round (SIGKILL: gone within moments)
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessHandle.allProcesses().anyMatch(p -> p.info().command().orElse("").endsWith("cryostash-trainee"))) {
            assertThat(System.nanoTime()).as("no trainee left running").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private Answer client(Path cwd, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(CLIENT.toString(), socket.toString()));
        command.addAll(List.of(args));
        return run(cwd, env, command);
    }

    private static Answer run(Path cwd, Map<String, String> env, List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        var err = p.getErrorStream();
        byte[] out = p.getInputStream().readAllBytes();
        String errText = new String(err.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Answer(p.exitValue(), new String(out, StandardCharsets.UTF_8), errText);
    }
}
