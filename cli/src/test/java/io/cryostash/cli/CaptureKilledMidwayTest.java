package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.image.ImageStore;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;

/**
 * A capture interrupted by kill -9 of the capturing JVM: the kernel detaches the target and it
 * runs on (never left stopped), and no image appears. The target has 256 MiB of touched memory
 * so that the freeze lasts long enough to kill the JVM inside it.
 */
@ExtendWith(Leftovers.class)
class CaptureKilledMidwayTest {
    private static final long KILL_AFTER_SEIZE_MS = 100;

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "checkpoint {0}")
    @ValueSource(strings = {"", "--kill"})
    void targetKeepsRunningWhenTheCapturingJvmIsKilledDuringTheFreeze(String flag) throws IOException {
        FixtureProcess target = FixtureProcess.of(CFixtures.shared("counter")).args("256").start();
        target.awaitNumberAbove("counter", 0);
        Path store = tmp.resolve("store");

        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-cp", System.getProperty("java.class.path"),
                "io.cryostash.cli.Cryostash", "checkpoint", Integer.toString(target.pid()), "--store",
                store.toString()));
        if (!flag.isEmpty()) {
            cmd.add(flag);
        }
        // the capturing JVM is not the target's parent, so being its child is harmless
        Process capture = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("capture.log").toFile()).start();
        try {
            Poll.until(Duration.ofSeconds(30), () -> "the capture to seize pid " + target.pid() + "; log:\n"
                    + log(), () -> !ProcState.statusLine(target.pid(), "TracerPid").equals("0"));
            // past the seize and the remote system calls, into the (long) reading of memory
            Poll.sleep(KILL_AFTER_SEIZE_MS);
            assertThat(ProcState.statusLine(target.pid(), "TracerPid")).as("still frozen when killed").isNotEqualTo("0");
            capture.destroyForcibly(); // SIGKILL
            capture.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            capture.destroyForcibly();
        }

        Poll.until(Duration.ofSeconds(10), () -> "pid " + target.pid() + " to be untraced and running (state "
                + target.state() + ")", () -> ProcState.statusLine(target.pid(), "TracerPid").equals("0")
                && target.runningFreely());
        long now = target.number("counter");
        target.awaitNumberAbove("counter", now);
        assertThat(target.runningFreely()).isTrue();
        assertThat(ImageStore.local(store).list()).as("no image from a killed capture").isEmpty();
        assertThat(target.check()).startsWith("PASS ");
    }

    private String log() {
        try {
            return Files.readString(tmp.resolve("capture.log"));
        } catch (IOException e) {
            return "";
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
