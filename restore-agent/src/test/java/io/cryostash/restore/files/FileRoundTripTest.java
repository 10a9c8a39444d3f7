package io.cryostash.restore.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

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
    void stdoutOnAPipeGoesToTheLogFileTheRestoreNames() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("stdout_pipe")).start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).isEqualTo("PASS");
        Path log = rt.lastRestore().logFile();
        assertThat(log).isNotNull().startsWith(rt.logDir());
        assertThat(Files.readString(log)).isEqualTo("restored output goes to the log\n");
    }
}
