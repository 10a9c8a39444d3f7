// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static io.cryostash.cli.CliRoundTripTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.cli.CliRoundTripTest.Run;

/**
 * The fault suite's capture, restore and store faults (issue 12), injected for real: a capturing
 * JVM killed while it uploads, a store on a small tmpfs that fills up during a capture, and a
 * restore whose file cache fills up. The target runs on unharmed, no half image is listed, the
 * store still verifies, a dead capture's lock and packs do not block the next gc, and the next
 * attempt succeeds once there is room. With --kill (issue 14) the target is killed once its state
 * is in the local spool, before anything is uploaded: it is gone then, and the next command that
 * opens the store stores the spooled image (once there is room), which restores and carries on.
 */
@ExtendWith(Leftovers.class)
class StoreFaultsTest {
    @TempDir
    Path tmp;

    private Path noisy() {
        return CFixtures.compile("src/test/c/noisy.c");
    }

    private static void assertRunsOnUnharmed(FixtureProcess target) {
        Poll.until(Duration.ofSeconds(20), () -> "pid " + target.pid() + " to be let go", () ->
                ProcState.statusLine(target.pid(), "TracerPid").equals("0"));
        assertThat(target.state()).isNotIn('t', 'T', 'Z', (char) 0);
        target.awaitNumberAbove("counter", target.number("counter"));
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    /**
     * Kill -9 of `checkpoint` while it uploads packs: without --kill the target is still frozen
     * then (the JVM is killed at its first pack) and must run on; with --kill it is killed once
     * its state is in the local spool, and the JVM is killed after that, while its packs go up
     * (they are written from the start, beside the spool), and the spooled image must restore.
     */
    @ParameterizedTest(name = "checkpoint {0}")
    @ValueSource(strings = {"", "--kill"})
    void aCaptureKilledWhileUploadingLeavesNoImageAndGcReclaimsItsPacksAtOnce(String flag) throws Exception {
        FixtureProcess target = FixtureProcess.of(noisy()).args("96").start();
        Path store = tmp.resolve("store");
        List<String> cmd = new ArrayList<>(List.of("checkpoint", Integer.toString(target.pid()), "--store",
                store.toString()));
        if (!flag.isEmpty()) {
            cmd.add(flag);
        }
        Process capture = jvm(Map.of(), cmd).start();
        try {
            if (flag.isEmpty()) {
                Poll.until(Duration.ofSeconds(60), "the capture to upload its first pack", () ->
                        !filesQuietly(store.resolve("packs")).isEmpty() || !capture.isAlive());
            } else {
                Poll.until(Duration.ofSeconds(60), "the capture to kill its target once spooled", () -> {
                    char st = target.state();
                    return st == 0 || st == 'Z' || st == 'X' || !capture.isAlive();
                });
            }
            assertThat(capture.isAlive()).as("still uploading when killed").isTrue();
            capture.destroyForcibly(); // SIGKILL
            capture.waitFor(30, TimeUnit.SECONDS);
        } finally {
            capture.destroyForcibly();
        }
        if (flag.isEmpty()) {
            assertRunsOnUnharmed(target);
        } else { // issue 14: killed once its state was in the local spool, before the first pack
            target.awaitGone();
        }
        try (var images = io.cryostash.store.image.ImageStore.local(store)) {
            assertThat(images.list()).as("no half image listed").isEmpty();
        }
        assertThat(files(store.resolve("manifests"))).isEmpty();
        assertThat(files(store.resolve("locks"))).as("the dead capture's lock").hasSize(1);

        Run gc = cli("gc", "--store", store.toString()); // default 6 h grace: not needed with no live lock
        assertThat(gc.exit()).as(gc.out() + gc.err()).isZero();
        assertThat(files(store.resolve("packs"))).as("the killed capture's packs").isEmpty();
        assertThat(files(store.resolve("locks"))).isEmpty();
        assertThat(cli("verify", "--store", store.toString()).exit()).isZero();
        if (flag.isEmpty()) {
            assertThat(target.check()).startsWith("PASS");
        } else {
            assertSpooledImageRestores(target, store);
        }
    }

    /**
     * The next command on the store stores what the killed --kill capture spooled (SpoolReplay),
     * and the image restores and carries on: issue 14's other outcome of a crash after the kill.
     */
    private void assertSpooledImageRestores(FixtureProcess target, Path store) {
        long atCapture = target.number("counter");
        Run images = cli("images", "--store", store.toString());
        assertThat(images.exit()).as(images.err()).isZero();
        assertThat(images.err()).as("the replay says what it stored").contains("stored the spooled capture of pid "
                + target.pid());
        String id;
        try (var stored = io.cryostash.store.image.ImageStore.local(store)) {
            assertThat(stored.list()).hasSize(1);
            id = stored.list().get(0).id();
        }
        assertThat(cli("verify", id, "--store", store.toString()).exit()).isZero();
        Run restore = cli("restore", id, "--store", store.toString(), "--log-dir", tmp.toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        FixtureProcess restored = target.restoredAs(Integer.parseInt(restore.lastLine()));
        Leftovers.track(restored.pid());
        restored.awaitNumberAbove("counter", atCapture);
        assertThat(restored.check()).startsWith("PASS");
    }

    /** A store on a 24 MiB tmpfs and a target with 96 MiB of incompressible memory. */
    @Test
    void aStoreThatFillsUpDuringCaptureFailsClearlyAndTheNextCaptureSucceeds() throws Exception {
        Path store = Files.createDirectory(tmp.resolve("store"));
        mountTmpfs(store, "24m");
        try {
            for (String flag : List.of("", "--kill")) {
                FixtureProcess big = FixtureProcess.of(noisy()).args("96").start();
                List<String> args = new ArrayList<>(List.of("checkpoint", Integer.toString(big.pid()), "--store",
                        store.toString()));
                if (!flag.isEmpty()) {
                    args.add(flag);
                }
                Run full = cli(args.toArray(String[]::new));
                assertThat(full.exit()).as(full.out()).isNotZero();
                assertThat(full.err()).contains("No space left on device");
                if (flag.isEmpty()) {
                    assertRunsOnUnharmed(big);
                    assertThat(big.check()).startsWith("PASS");
                } else { // issue 14: killed once spooled; the spool keeps its state for the next command
                    assertThat(full.err()).contains("was killed once its state was spooled");
                    big.awaitGone();
                }
                assertThat(files(store.resolve("manifests"))).isEmpty();
                assertThat(files(store.resolve("packs"))).as("packs the failed capture uploaded").isEmpty();
                assertThat(files(store.resolve("locks"))).isEmpty();
                Run verify = cli("verify", "--store", store.toString());
                assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
                if (!flag.isEmpty()) {
                    // still no room: the next command says why it cannot store the spooled state, and keeps it
                    Run stillFull = cli("images", "--store", store.toString());
                    assertThat(stillFull.exit()).as(stillFull.err()).isZero();
                    assertThat(stillFull.err()).contains("could not be stored yet").contains("No space left on device");
                    assertThat(files(store.resolve("packs"))).as("packs the failed replay uploaded").isEmpty();
                    exec("mount", "-o", "remount,size=256m", store.toString()); // room at last (and from here on)
                    assertSpooledImageRestores(big, store);
                }
            }
            FixtureProcess small = FixtureProcess.of(noisy()).args("4").start();
            Run fits = cli("checkpoint", Integer.toString(small.pid()), "--store", store.toString());
            assertThat(fits.exit()).as("the next capture, at once: " + fits.err()).isZero();
            assertThat(cli("verify", fits.lastLine(), "--store", store.toString()).exit()).isZero();
        } finally {
            unmount(store);
        }
    }

    /** The restore fetches the program's stored executable into a file cache that has no room left. */
    @Test
    void aCacheThatFillsUpDuringRestoreFailsClearlyAndLeavesNothingRunning() throws Exception {
        Path home = Files.createDirectory(tmp.resolve("home"));
        mountTmpfs(home, "2m");
        try {
            Map<String, String> env = Map.of("CRYOSTASH_HOME", home.toString());
            Path store = tmp.resolve("store");
            Path exe = Files.copy(CFixtures.shared("counter"), tmp.resolve("counter-copy"),
                    StandardCopyOption.COPY_ATTRIBUTES);
            FixtureProcess target = FixtureProcess.of(exe).start();
            Run checkpoint = run(env, "checkpoint", Integer.toString(target.pid()), "--kill", "--store",
                    store.toString());
            assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
            target.awaitGone();
            String id = checkpoint.lastLine();
            Files.write(exe, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND); // this host's copy differs now
            Path filler = home.resolve("filler");
            fill(filler);

            Run full = run(env, "restore", id, "--store", store.toString(), "--log-dir", tmp.toString());
            assertThat(full.exit()).as(full.out()).isNotZero();
            assertThat(full.err()).contains("No space left on device").contains(exe.toString());
            assertThat(running(exe)).as("no half-built or restored process").isEmpty();
            try (Stream<Path> cache = Files.list(home.resolve("cache"))) {
                assertThat(cache.toList()).as("no partial file in the cache").isEmpty();
            }
            Run verify = run(env, "verify", id, "--store", store.toString());
            assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();

            Files.delete(filler);
            Run again = run(env, "restore", id, "--store", store.toString(), "--log-dir", tmp.toString());
            assertThat(again.exit()).as(again.err()).isZero();
            FixtureProcess restored = target.restoredAs(Integer.parseInt(again.lastLine()));
            restored.awaitNumberAbove("counter", target.number("counter"));
            assertThat(restored.check()).startsWith("PASS");
        } finally {
            unmount(home);
        }
    }

    /** Fills the file system of {@code file} until a write fails, leaving it full. */
    private static void fill(Path file) throws IOException {
        byte[] block = new byte[4096];
        try (var out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException full) {
            // full now
        }
    }

    private static List<Long> running(Path exe) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    long pid = Long.parseLong(p.getFileName().toString());
                    char st = ProcState.of(pid);
                    if (st != 0 && st != 'Z' && Files.readSymbolicLink(p.resolve("exe")).toString()
                            .startsWith(exe.toString())) {
                        out.add(pid);
                    }
                } catch (IOException | UnsupportedOperationException gone) {
                    // exited or unreadable
                }
            }
        }
        return out;
    }

    private static List<Path> filesQuietly(Path dir) {
        try {
            return files(dir);
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void mountTmpfs(Path dir, String size) throws Exception {
        exec("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString());
    }

    private static void unmount(Path dir) throws Exception {
        exec("umount", "-l", dir.toString());
    }

    private static void exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    /** The CLI in a JVM of its own, with extra environment. */
    private static ProcessBuilder jvm(Map<String, String> env, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.cryostash.cli.Cryostash"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        return pb;
    }

    private Run run(Map<String, String> env, String... args) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = jvm(env, List.of(args)).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("cryostash " + String.join(" ", args)).isTrue();
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
