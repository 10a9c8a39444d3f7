// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.Capturer;
import io.cryostash.capture.SpoolReplay;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ThreadState;
import io.cryostash.schema.image.fds.MemoryFile;
import io.cryostash.store.image.ImageStore;

/**
 * A {@code --kill} capture whose image cannot be stored in the same run: the process is killed
 * once its state is in the spool, and what {@link SpoolReplay} later stores from the spool alone
 * must be the whole process — every thread with its registers, masks and queued signals, the
 * descriptors with their contents, the timers and the signals queued to the process — so that
 * the restore carries on as after an ordinary --kill. Each fixture checks its own state after
 * restore and reports PASS.
 */
@ExtendWith(Leftovers.class)
class SpooledCaptureRoundTripTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"threadfds", "threadsignals", "memfiles"})
    void processKilledOnceSpooledIsRestoredFromWhatTheReplayStored(String fixture) throws IOException {
        FixtureProcess original = FixtureProcess.of(fixture.equals("memfiles") ? RoundTrip.fixture(fixture)
                : RoundTrip.fixture(fixture, "-pthread", "-lrt")).start();
        List<Integer> tids = fixture.equals("memfiles") ? List.of(original.pid())
                : original.read("threads").lines().map(Integer::parseInt).toList();
        Path storeDir = tmp.resolve("store");
        Path spool = tmp.resolve("spool");
        ImageStore store = ImageStore.local(storeDir);
        breakStore(storeDir);

        assertThatThrownBy(() -> new Capturer(store).spoolTo(spool).capture(original.pid(), new CaptureOptions(true)))
                .isInstanceOf(CaptureException.class).hasMessageContaining("was killed once its state was spooled");
        original.awaitGone();

        repairStore(storeDir);
        List<SpoolReplay.Replayed> stored = SpoolReplay.replay(store, spool, e -> {
            throw new AssertionError(e);
        });
        assertThat(stored).singleElement().satisfies(r -> assertThat(r.pid()).isEqualTo(original.pid()));
        ProcessImage image = store.read(stored.get(0).imageId());

        assertThat(image.formatVersion()).isEqualTo(ProcessImage.FORMAT_VERSION);
        assertThat(image.threads()).extracting(ThreadState::tid).containsExactlyInAnyOrderElementsOf(tids);
        switch (fixture) {
            case "threadfds" -> {
                assertThat(image.timers().posixTimers()).singleElement()
                        .satisfies(t -> assertThat(t.targetTid()).isEqualTo(tids.get(1)));
                assertThat(image.sharedPendingSignals()).as("the signal queued for the signalfd").hasSize(1);
                assertThat(image.fds()).anyMatch(f -> f.kind() == FdEntry.Kind.PIPE);
            }
            case "threadsignals" -> assertThat(image.threads().stream().mapToInt(t -> t.pendingSignals().size()).sum())
                    .as("signals queued to single threads").isPositive();
            default -> assertThat(image.fds()).filteredOn(f -> f.file() instanceof MemoryFile)
                    .isNotEmpty().allSatisfy(f -> assertThat(((MemoryFile) f.file()).content())
                            .as("fd %d's bytes, from the spool", f.fd()).isNotNull());
        }
        FixtureProcess restored = new RoundTrip(tmp).restore(original, image.id());

        assertThat(restored.pid()).isEqualTo(original.pid());
        assertThat(ProcState.threads(restored.pid())).containsExactlyInAnyOrderElementsOf(tids);
        assertThat(restored.check()).startsWith("PASS");
    }

    /** Files where the packs and manifests go: the image cannot be stored. */
    private static void breakStore(Path storeDir) throws IOException {
        for (String dir : new String[] {"packs", "manifests"}) {
            Path p = storeDir.resolve(dir);
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
            Files.writeString(p, "not a directory");
        }
    }

    private static void repairStore(Path storeDir) throws IOException {
        Files.delete(storeDir.resolve("packs"));
        Files.delete(storeDir.resolve("manifests"));
    }
}
