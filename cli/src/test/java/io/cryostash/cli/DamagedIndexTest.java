// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static io.cryostash.cli.CliRoundTripTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.cli.CliRoundTripTest.Run;

/**
 * Issue 12, item 19: one flipped byte in the store's index object. Commands that read or add
 * to the store fall back to the packs' own indexes and say so on stderr; `verify` reports the
 * damage with exit status 2 (as documented), not 1; gc refuses until `repair-index`.
 */
@ExtendWith(Leftovers.class)
class DamagedIndexTest {
    @TempDir
    Path tmp;

    @Test
    void aFlippedIndexByteIsWorkedAroundAndReportedWithExitTwo() throws IOException {
        Path storeDir = tmp.resolve("store");
        String store = storeDir.toString();
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).args("8").start();
        counter.awaitNumberAbove("counter", 0);
        Run checkpoint = cli("checkpoint", Integer.toString(counter.pid()), "--kill", "--store", store);
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        counter.awaitGone();
        String id = checkpoint.lastLine();

        List<Path> index;
        try (Stream<Path> s = Files.list(storeDir.resolve("index"))) {
            index = s.toList();
        }
        assertThat(index).hasSize(1);
        byte[] b = Files.readAllBytes(index.get(0));
        b[b.length / 2] ^= 0x01;
        Files.write(index.get(0), b);

        Run images = cli("images", "--store", store);
        assertThat(images.exit()).as(images.err()).isZero();
        assertThat(images.out()).contains(id);
        assertThat(images.err()).contains("warning: ").contains("fails its checksum").contains("own indexes")
                .contains("repair-index");

        Run verify = cli("verify", "--store", store);
        assertThat(verify.exit()).as(verify.out() + verify.err()).isEqualTo(2);
        assertThat(verify.out()).contains("DAMAGED").contains(index.get(0).getFileName().toString())
                .doesNotContain("not in any index");
        Run verifyImage = cli("verify", id, "--store", store);
        assertThat(verifyImage.exit()).as(verifyImage.out() + verifyImage.err()).isEqualTo(2);

        Run restore = cli("restore", id, "--store", store, "--log-dir", tmp.toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        FixtureProcess restored = counter.restoredAs(Integer.parseInt(restore.lastLine()));
        restored.awaitNumberAbove("counter", counter.number("counter"));

        Run gc = cli("gc", "--grace", "PT0S", "--store", store);
        assertThat(gc.exit()).isNotZero();
        assertThat(gc.err()).contains("repair-index");

        assertThat(cli("repair-index", "--store", store).exit()).isZero();
        Run after = cli("verify", "--store", store);
        assertThat(after.exit()).as(after.out() + after.err()).isZero();
        assertThat(after.err()).doesNotContain("warning");
    }
}
