// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.cli.CliRoundTripTest.Run;

/**
 * Issue 12, item 16: a `restore` killed (SIGKILL) or interrupted (SIGINT, as Ctrl-C sends it)
 * after it started its husk but before it took hold of it leaves no husk behind. The restoring
 * JVM is stopped the moment its husk appears and, if the husk is not yet seized, killed there;
 * an interrupt is sent at once. Each time the husk must be gone within seconds.
 */
@ExtendWith(Leftovers.class)
class InterruptedRestoreTest {
    private static final int SIGKILL = 9;
    private static final int SIGINT = 2;
    private static final int SIGSTOP = 19;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"KILL", "INT"})
    void anInterruptedRestoreLeavesNoHusk(String signal) throws Exception {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).start();
        Path store = tmp.resolve("store");
        Run checkpoint = CliRoundTripTest.cli("checkpoint", Integer.toString(target.pid()), "--kill", "--store",
                store.toString());
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        target.awaitGone();

        int caughtBeforeSeize = 0;
        for (int round = 0; round < 3; round++) {
            // other restores may run on this machine: ours are told apart by a mark in their environment
            String mark = "CRYOSTASH_TEST_RUN=" + java.util.UUID.randomUUID();
            Set<Long> before = husks(mark, 0);
            // env --default-signal: a JVM started with SIGINT ignored would never see our Ctrl-C
            ProcessBuilder pb = new ProcessBuilder("env", "--default-signal=INT", javaBinary(), "-cp",
                    System.getProperty("java.class.path"),
                    "io.cryostash.cli.Cryostash", "restore", checkpoint.lastLine(), "--store", store.toString(),
                    "--log-dir", tmp.toString()).redirectErrorStream(true)
                    .redirectOutput(tmp.resolve("restore.log").toFile());
            pb.environment().put("CRYOSTASH_TEST_RUN", mark.substring(mark.indexOf('=') + 1));
            Process restore = pb.start();
            long husk = 0;
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                for (int scan = 1; husk == 0 && System.nanoTime() < deadline && restore.isAlive(); scan++) {
                    // mostly pids after the JVM's (a quick scan); every tenth scan all of them, since
                    // pids wrap around at pid_max (32768 here) and the husk may then be below the JVM
                    Set<Long> now = husks(mark, scan % 10 == 0 ? 0 : restore.pid());
                    now.removeAll(before);
                    husk = now.stream().findFirst().orElse(0L);
                }
                assertThat(husk).as("a husk of the restore; log:\n" + log()).isNotZero();
                Leftovers.track(husk);
                if (signal.equals("KILL")) {
                    Syscalls.kill((int) restore.pid(), SIGSTOP); // hold it where it is: maybe before the seize
                    if (ProcState.statusLine(husk, "TracerPid").equals("0")) {
                        caughtBeforeSeize++;
                    }
                    Syscalls.kill((int) restore.pid(), SIGKILL);
                } else {
                    if (ProcState.statusLine(husk, "TracerPid").equals("0")) {
                        caughtBeforeSeize++;
                    }
                    Syscalls.kill((int) restore.pid(), SIGINT);
                }
                assertThat(restore.waitFor(60, TimeUnit.SECONDS)).isTrue();
            } finally {
                restore.destroyForcibly();
            }
            long h = husk;
            Poll.until(Duration.ofSeconds(15), () -> "husk " + h + " to die (state " + ProcState.of(h) + ", tracer "
                    + tracerOf(h) + "); log:\n" + log(), () -> {
                        char s = ProcState.of(h);
                        return s == 0 || s == 'Z';
                    });
            Set<Long> left = husks(mark, 0);
            left.removeAll(before);
            assertThat(left).as(() -> "husks left behind: " + left.stream().map(l -> l + " (parent "
                    + ProcState.statusLine(l, "PPid") + ", tracer " + tracerOf(l) + ", state " + ProcState.of(l) + ")")
                    .toList() + "; round " + h + " was the husk; log:\n" + log()).isEmpty();
            assertThat(fixtureProcesses()).as("no restored or half-built process runs").isEmpty();
        }
        System.err.println("SIG" + signal + ": " + caughtBeforeSeize + " of 3 interrupted restores were caught"
                + " between starting the husk and seizing it");
    }

    private static String tracerOf(long pid) {
        try {
            return ProcState.statusLine(pid, "TracerPid");
        } catch (AssertionError gone) {
            return "-";
        }
    }

    /** Live processes above pid {@code after} running the husk's sleeper with {@code mark} in their environment. */
    private static Set<Long> husks(String mark, long after) {
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            return s.filter(p -> p.getFileName().toString().matches("\\d+"))
                    .filter(p -> Long.parseLong(p.getFileName().toString()) > after).filter(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cmdline"))).endsWith("sleep\u00001000000000\u0000")
                            && new String(Files.readAllBytes(p.resolve("environ"))).contains(mark);
                } catch (IOException gone) {
                    return false;
                }
            }).map(p -> Long.parseLong(p.getFileName().toString()))
                    .filter(pid -> ProcState.of(pid) != 'Z' && ProcState.of(pid) != 0)
                    .collect(Collectors.toCollection(HashSet::new));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static List<Long> fixtureProcesses() {
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            return s.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    long pid = Long.parseLong(p.getFileName().toString());
                    char st = ProcState.of(pid);
                    return st != 0 && st != 'Z' && Files.readSymbolicLink(p.resolve("exe"))
                            .startsWith(CFixtures.outputDir());
                } catch (IOException | UnsupportedOperationException gone) {
                    return false;
                }
            }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private String log() {
        try {
            return Files.readString(tmp.resolve("restore.log"));
        } catch (IOException e) {
            return "";
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
