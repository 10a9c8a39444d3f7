// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memfd;

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
class MemoryFileRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void memfdAndDeletedFilesComeBackWithTheirBytesOffsetsAndSeals() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("memfiles")).start();

        FixtureProcess restored = rt.killAndRestore(original);

        assertThat(restored.check()).isEqualTo("PASS");
        assertThat(Files.readString(restored.file("taken"))).as("the file that took the path").isEqualTo("new file\n");
        try (var files = Files.list(restored.dir())) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("gone.txt")
                    || n.contains(".cryostash-"));
        }
    }
}
