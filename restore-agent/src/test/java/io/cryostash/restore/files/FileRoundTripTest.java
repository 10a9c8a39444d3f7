// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.restore.testing.RoundTrip;

@ExtendWith(Leftovers.class)
class FileRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void regularAppendDirectoryDevNullAndRedirectedStdoutKeepTheirState() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("files")).start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).isEqualTo("PASS");
        assertThat(restored.read("append.log")).isEqualTo("before\nafter\n");
        assertThat(restored.output()).isEqualTo("line before checkpoint\nline after restore\n");
        byte[] data = Files.readAllBytes(restored.file("data.bin"));
        assertThat(new String(data, 1244, 2)).isEqualTo("XY");
        assertThat(rt.lastRestore().logFile()).as("no descriptor needed a log").isNull();
    }

    @Test
    void stdoutOnATerminalGoesToTheLogFileTheRestoreNames() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")),
                "needs script(1) for a pseudo-terminal");
        RoundTrip rt = new RoundTrip(tmp);
        Path dir = FixtureProcess.newDir("stdout_tty");
        String inner = FixtureProcess.quote(RoundTrip.fixture("stdout_pipe").toString()) + " "
                + FixtureProcess.quote(dir.toString()) + " tty";
        int script = Detached.run("cd " + FixtureProcess.quote(dir.toString()) + " && setsid script -qfec "
                + FixtureProcess.quote(inner) + " /dev/null </dev/null >" + FixtureProcess.quote(dir + "/out.log")
                + " 2>&1 & echo $!");
        FixtureProcess wrapper = FixtureProcess.attach(script, dir).awaitReady();
        FixtureProcess original = FixtureProcess.attach((int) wrapper.number("ready"), dir);
        assertThat(Files.readSymbolicLink(Path.of("/proc/" + original.pid() + "/fd/1")).toString())
                .startsWith("/dev/pts/");

        io.cryostash.capture.CaptureResult r = rt.checkpoint(original, true);
        FixtureProcess restored = rt.restore(original, r.image().id());

        // fds 1 and 2 are duplicates of 0 (one open file): the note names the first
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).startsWith("fd 0 (/dev/pts/").contains("terminal"));
        assertThat(restored.check()).isEqualTo("PASS");
        Path log = rt.lastRestore().logFile();
        assertThat(log).isNotNull();
        assertThat(Files.readString(log)).isEqualTo("restored output goes to the log\n");
    }
}
