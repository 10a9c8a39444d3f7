// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.locks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.Detached;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.capture.CaptureResult;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.fds.FileLock;

@ExtendWith(Leftovers.class)
class LockRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void restoredProcessHoldsItsFlockPosixAndOfdLocksAgain() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("locks")).start();

        CaptureResult r = rt.checkpoint(original, true);
        assertThat(r.image().fds()).flatExtracting(f -> f.locks()).containsExactlyInAnyOrder(
                new FileLock(FileLock.Type.FLOCK, true, 0, 0), new FileLock(FileLock.Type.POSIX, true, 10, 20),
                new FileLock(FileLock.Type.OFDLCK, false, 0, 0));
        assertThat(heldByOthers(original.file("b"))).as("the killed original released its locks").isFalse();

        FixtureProcess restored = rt.restore(original, r.image().id());

        assertThat(Detached.exec("sh", "-c", "flock -n " + FixtureProcess.quote(restored.file("a").toString())
                + " true; echo $?").trim()).isEqualTo("1");
        assertThat(heldByOthers(restored.file("b"))).isTrue();
        assertThat(heldByOthers(restored.file("c"))).isTrue();
        assertThat(restored.check()).isEqualTo("PASS");
    }

    /** Whether a POSIX write lock on bytes 10-29 conflicts with someone else's lock. */
    private static boolean heldByOthers(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            var lock = ch.tryLock(10, 20, false);
            if (lock == null) {
                return true;
            }
            lock.release();
            return false;
        }
    }
}
