// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.cli.CliRoundTripTest.Run;

/**
 * checkpoint --kill kills the process once its state is in the local spool, before the image is
 * stored; when storing then fails the spool is all that is left of the process, and the next
 * command that opens the store stores it, as an image that restores.
 */
@ExtendWith(Leftovers.class)
class SpoolReplayTest {
    private static final Pattern STORED = Pattern.compile("stored the spooled capture of pid (\\d+) \\(counter\\)[^:]*:"
            + " image ([0-9a-f]{64})");

    @TempDir
    Path tmp;

    @Test
    void aCaptureKilledAfterItsSpoolIsStoredByTheNextCommand() throws Exception {
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).args("16").start();
        long before = counter.awaitNumberAbove("counter", 0);
        Path store = tmp.resolve("store");
        Files.createDirectories(store);
        Path blocker = store.resolve("packs"); // a file where the packs' directory goes: every pack upload fails
        Files.writeString(blocker, "not a directory");

        Run checkpoint = CliRoundTripTest.cli("checkpoint", Integer.toString(counter.pid()), "--kill", "--store",
                store.toString());

        assertThat(checkpoint.exit()).isNotZero();
        assertThat(checkpoint.err()).contains("was killed once its state was spooled to")
                .contains("the next cryostash command that opens store");
        counter.awaitGone();
        long atCheckpoint = counter.number("counter");
        assertThat(atCheckpoint).isGreaterThanOrEqualTo(before);

        Files.delete(blocker);
        Run images = CliRoundTripTest.cli("images", "--store", store.toString());
        assertThat(images.exit()).as(images.err()).isZero();
        Matcher m = STORED.matcher(images.err());
        assertThat(m.find()).as(images.err()).isTrue();
        assertThat(Integer.parseInt(m.group(1))).isEqualTo(counter.pid());
        String id = m.group(2);
        assertThat(images.out()).contains(id);

        Run again = CliRoundTripTest.cli("images", "--store", store.toString());
        assertThat(again.err()).as("stored once").doesNotContain("spooled");

        Run restore = CliRoundTripTest.cli("restore", id, "--store", store.toString(), "--log-dir", tmp.toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        FixtureProcess restored = counter.restoredAs(Integer.parseInt(restore.lastLine()));
        restored.awaitNumberAbove("counter", atCheckpoint);
        assertThat(restored.check()).startsWith("PASS ");
    }

    @Test
    void aCompletedCaptureLeavesNothingInTheSpool() throws Exception {
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).start();
        counter.awaitNumberAbove("counter", 0);
        Path spool = io.cryostash.capture.spool.CaptureSpool.defaultDir();
        long entriesBefore = entries(spool);

        Run checkpoint = CliRoundTripTest.cli("checkpoint", Integer.toString(counter.pid()), "--kill", "--store",
                tmp.resolve("store").toString());

        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        // the entry is renamed aside at once and its files deleted by a thread of their own
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (entries(spool) > entriesBefore && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(entries(spool)).isLessThanOrEqualTo(entriesBefore);
    }

    private static long entries(Path spool) throws java.io.IOException {
        if (!Files.isDirectory(spool)) {
            return 0;
        }
        try (var s = Files.list(spool)) {
            return s.count();
        }
    }
}
