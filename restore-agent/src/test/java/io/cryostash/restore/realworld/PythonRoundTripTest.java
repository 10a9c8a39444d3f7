// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.realworld;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.store.image.ImageStore;
import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.Restorer;

/**
 * A program nobody here wrote: the python3 interpreter running a loop over a large dict. It
 * writes "counter checksum-at-start checksum-now" to state-&lt;its pid&gt; every iteration (through
 * a descriptor kept open, so the image never holds a file that is renamed away later); a
 * restored copy must carry on counting from where the image was taken with an unchanged dict.
 */
@ExtendWith(Leftovers.class)
class PythonRoundTripTest {
    private static final String JOB = String.join("\n",
            "import os, sys, time",
            "out = sys.argv[1]",
            "data = {i: (i * 7919) % 1000003 for i in range(300000)}",
            "words = {str(i): 'w' * (i % 17) for i in range(50000)}",
            "def checksum():",
            "    return (sum(data.values()) * 31 + sum(len(v) for v in words.values())) % (1 << 61)",
            "start = checksum()",
            "counter = 0",
            "fd, fd_pid = None, None",
            "while True:",
            "    counter += 1",
            "    if fd_pid != os.getpid():  # a restored copy has a new pid: it reports in a file of its own",
            "        fd_pid = os.getpid()",
            "        fd = os.open(os.path.join(out, 'state-%d' % fd_pid), os.O_WRONLY | os.O_CREAT, 0o644)",
            "    os.pwrite(fd, ('%d %d %d' % (counter, start, checksum())).ljust(80).encode(), 0)",
            "    time.sleep(0.02)",
            "");

    @TempDir
    Path tmp;

    @Test
    void pythonJobCheckpointedWithKillCarriesOnWithItsDictIntact() throws IOException {
        Path dir = FixtureProcess.newDir("python");
        int pid = startPython(dir);
        long[] before = awaitState(dir, pid, 3);
        ImageStore store = ImageStore.local(tmp.resolve("store"));

        String id = new Capturer(store).capture(pid, new CaptureOptions(true)).image().id();
        awaitGone(pid);
        long[] atCheckpoint = readState(dir, pid);
        int restored = new Restorer(store).restore(id, new RestoreOptions(false, tmp)).pid();
        Leftovers.track(restored);

        long[] after = awaitState(dir, restored, atCheckpoint[0] + 5);
        assertThat(after[0]).isGreaterThan(atCheckpoint[0]);
        assertThat(after[1]).isEqualTo(before[1]);
        assertThat(after[2]).as("checksum of the dict now").isEqualTo(before[1]);
        assertThat(restored).as("the restored copy has the original's pid back").isEqualTo(pid);
    }

    @Test
    void pythonJobRestoredWhileTheOriginalRunsGivesTwoIndependentCopies() throws IOException {
        Path dir = FixtureProcess.newDir("python");
        int pid = startPython(dir);
        long[] before = awaitState(dir, pid, 3);
        ImageStore store = ImageStore.local(tmp.resolve("store"));

        String id = new Capturer(store).capture(pid, new CaptureOptions(false)).image().id();
        int copy = new Restorer(store).restore(id, new RestoreOptions(false, tmp, RestoreOptions.PidMode.NEW_PID))
                .pid();
        Leftovers.track(copy);

        long[] original = readState(dir, pid);
        long[] copyState = awaitState(dir, copy, 1);
        assertThat(copyState[0]).as("the copy starts from the image, not from zero").isGreaterThanOrEqualTo(before[0]);
        awaitState(dir, pid, original[0] + 5);
        long[] copyLater = awaitState(dir, copy, copyState[0] + 5);
        assertThat(copyLater[1]).isEqualTo(before[1]);
        assertThat(copyLater[2]).isEqualTo(before[1]);
        assertThat(ProcState.runningFreely(pid)).isTrue();
        assertThat(ProcState.runningFreely(copy)).isTrue();
    }

    private static int startPython(Path dir) throws IOException {
        Path script = dir.resolve("job.py");
        Files.writeString(script, JOB);
        int pid = Detached.run("cd " + FixtureProcess.quote(dir.toString()) + " && setsid python3 "
                + FixtureProcess.quote(script.toString()) + " " + FixtureProcess.quote(dir.toString())
                + " </dev/null >" + FixtureProcess.quote(dir.resolve("out.log").toString()) + " 2>&1 & echo $!");
        Leftovers.track(pid);
        return pid;
    }

    /** Waits until state-PID shows a counter of at least {@code min}; returns {counter, start, now}. */
    private static long[] awaitState(Path dir, int pid, long min) {
        Poll.until(Duration.ofSeconds(30), () -> "python pid " + pid + " to count to " + min + " (state "
                + ProcState.of(pid) + ", file " + java.util.Arrays.toString(readState(dir, pid)) + ")",
                () -> readState(dir, pid)[0] >= min);
        return readState(dir, pid);
    }

    private static long[] readState(Path dir, int pid) {
        try {
            String[] f = Files.readString(dir.resolve("state-" + pid)).trim().split(" ");
            return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
        } catch (IOException | RuntimeException notYet) {
            return new long[] {-1, -1, -1};
        }
    }

    private static void awaitGone(int pid) {
        Poll.until(Duration.ofSeconds(10), "python " + pid + " to die", () -> {
            char s = ProcState.of(pid);
            return s == 0 || s == 'Z';
        });
    }
}
