// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.Restorer;
import io.cryostash.restore.testing.RoundTrip;

/**
 * The log that receives a restored program's output to a terminal or pipe that is gone.
 * Item 15 of issue 12: its user must not be able to turn it into a way of writing root's files.
 * Item 13: no empty log is left by a restore that failed or by programs that ended.
 */
@ExtendWith(Leftovers.class)
class OutputLogTest {
    private static final String NOBODY = "65534";

    @TempDir
    Path tmp;

    /** A log directory like /tmp: root's, sticky, everyone may create files in it. */
    private Path logs;

    @BeforeEach
    void logDirectory() throws IOException {
        logs = Path.of("/tmp", "cryostash-logtest-" + UUID.randomUUID());
        Files.createDirectory(logs);
        Files.setAttribute(logs, "unix:mode", 01777);
    }

    @AfterEach
    void removeLogDirectory() throws IOException {
        try (Stream<Path> s = Files.walk(logs)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private FixtureProcess talker(boolean asNobody, String... args) {
        FixtureProcess.Builder b = FixtureProcess.of(RoundTrip.fixture("talker")).args(args);
        if (asNobody) {
            b.prefix("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups");
        }
        return b.start();
    }

    private List<Path> logsIn(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("cryostash-")).toList();
        }
    }

    @Test
    void aSymlinkRaceByTheImagesUserCannotSendItsOutputIntoARootFile() throws Exception {
        Path victim = Files.writeString(tmp.resolve("victim"), "root's secret\n");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = talker(true);
        String id = rt.checkpoint(original, true).image().id();
        FixtureProcess swapper = FixtureProcess.of(RoundTrip.fixture("swapper"))
                .prefix("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups")
                .args(logs.toString(), victim.toString()).start();

        int pid = new Restorer(rt.store()).restore(id, new RestoreOptions(false, logs)).pid();
        FixtureProcess restored = original.restoredAs(pid);
        Poll.until(java.time.Duration.ofSeconds(10), "the swapper to strike", () -> swapper.number("swaps") >= 1);
        Poll.sleep(300); // the restored program prints every 20 ms

        assertThat(Files.readString(victim)).as("root's file").isEqualTo("root's secret\n");
        Path out = Path.of("/proc", Integer.toString(pid), "fd", "1");
        assertThat(Files.readSymbolicLink(out).toString()).as("the restored program's stdout")
                .startsWith(logs.toString()).doesNotContain("victim");
        assertThat(Files.getAttribute(out, "unix:uid")).as("the log's owner").isEqualTo(Integer.parseInt(NOBODY));
        assertThat(Files.size(out)).as("output kept in its own (now unlinked) log").isPositive();
        assertThat(restored.check()).startsWith("PASS");
    }

    @Test
    void aLogDirectoryTheImagesUserCouldReplaceIsRefusedBeforeAnythingRuns() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = talker(true);
        String id = rt.checkpoint(original, true).image().id();
        Path theirs = Files.createDirectory(logs.resolve("nobodys"));
        Files.setAttribute(theirs, "unix:uid", Integer.parseInt(NOBODY));

        assertThatThrownBy(() -> new Restorer(rt.store()).restore(id, new RestoreOptions(false, theirs)))
                .isInstanceOf(RestoreException.class).hasMessageContaining("not safe")
                .hasMessageContaining("uid " + NOBODY).hasMessageContaining(theirs.toString());
        assertThat(logsIn(theirs)).isEmpty();
    }

    @Test
    void aRestoreThatFailsLeavesNoLog() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = talker(false);
        String id = rt.checkpoint(original, true).image().id();
        try (Stream<Path> packs = Files.list(rt.storeDir().resolve("packs"))) {
            for (Path pack : packs.toList()) { // inside the first chunk of every pack
                try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
                    ch.read(b, 64);
                    b.put(0, (byte) (b.get(0) ^ 0x20)).rewind();
                    ch.write(b, 64);
                }
            }
        }
        assertThatThrownBy(() -> new Restorer(rt.store()).restore(id, new RestoreOptions(false, logs)))
                .hasMessageContaining(id.substring(0, 12));
        assertThat(logsIn(logs)).as("logs left by a failed restore").isEmpty();
    }

    @Test
    void theEmptyLogsOfEndedProgramsAreRemovedByTheNextRestore() throws Exception {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = talker(false, "quiet");
        String id = rt.checkpoint(original, true).image().id();
        Restorer restorer = new Restorer(rt.store());
        var first = restorer.restore(id, new RestoreOptions(false, logs));
        original.restoredAs(first.pid()).kill();
        assertThat(first.logFile()).exists().isEmptyFile();
        // older than the half minute a restore still being set up may take
        Files.setLastModifiedTime(first.logFile(), FileTime.from(Instant.now().minusSeconds(120)));

        var second = restorer.restore(id, new RestoreOptions(false, logs));
        FixtureProcess running = original.restoredAs(second.pid());

        assertThat(Files.exists(first.logFile(), LinkOption.NOFOLLOW_LINKS)).as("the ended program's empty log").isFalse();
        assertThat(second.logFile()).as("the running program's log").exists();
        assertThat(logsIn(logs)).containsExactly(second.logFile());
        running.kill();
    }
}
