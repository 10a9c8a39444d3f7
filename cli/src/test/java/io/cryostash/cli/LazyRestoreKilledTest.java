// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.cli.CliRoundTripTest.Run;

/**
 * restore --lazy: the process runs while its memory comes in from the restoring JVM. If that JVM
 * dies before all of it is in, the process must die too (PTRACE_O_EXITKILL), never run on with
 * pages missing. The JVM is stopped (SIGSTOP) as soon as it says the process runs, so the memory
 * cannot finish coming in, and then killed.
 */
@ExtendWith(Leftovers.class)
class LazyRestoreKilledTest {
    private static final Pattern RUNNING = Pattern.compile("as pid (\\d+), running after");

    @TempDir
    Path tmp;

    @Test
    void theProcessDiesWithItsRestorer() throws Exception {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).args("512").start();
        Path store = tmp.resolve("store");
        Run checkpoint = CliRoundTripTest.cli("checkpoint", Integer.toString(target.pid()), "--kill", "--store",
                store.toString());
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        target.awaitGone();

        Path log = tmp.resolve("restore.log");
        Process restore = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.cryostash.cli.Cryostash", "restore", "--lazy",
                checkpoint.lastLine(), "--store", store.toString(), "--log-dir", tmp.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int pid;
        try {
            int[] found = {0};
            Poll.until(Duration.ofSeconds(60), () -> "the lazy restore to run the process; log:\n" + read(log), () -> {
                Matcher m = RUNNING.matcher(read(log));
                if (m.find()) {
                    found[0] = Integer.parseInt(m.group(1));
                }
                return found[0] != 0;
            });
            pid = found[0];
            Leftovers.track(pid);
            signal("STOP", restore.pid());
            assumeTrue(!read(log).contains("resident after") && !ProcState.statusLine(pid, "TracerPid").equals("0"),
                    "all of the memory came in before the restorer could be stopped; nothing to test");
            restore.destroyForcibly(); // SIGKILL of the restorer while the memory is still coming in
            restore.waitFor();
        } finally {
            restore.destroyForcibly();
        }

        Poll.until(Duration.ofSeconds(10), () -> "pid " + pid + " to die with its restorer (state "
                + ProcState.of(pid) + ")", () -> {
                    char s = ProcState.of(pid);
                    return s == 0 || s == 'Z';
                });
        assertThat(read(log)).contains("if this command stops before all of it is in, pid " + pid + " is killed");
    }

    private static void signal(String name, long pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -" + name + " " + pid).isZero();
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
