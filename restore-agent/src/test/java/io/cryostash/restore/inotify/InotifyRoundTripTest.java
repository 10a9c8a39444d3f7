// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inotify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.capture.CaptureResult;
import io.cryostash.restore.testing.RoundTrip;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.InotifyFile;

@ExtendWith(Leftovers.class)
class InotifyRoundTripTest {
    @TempDir
    Path tmp;

    @Test
    void restoredInotifyKeepsWatchNumbersAndPathsAndReportsEvents() {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("inotify")).start();

        CaptureResult r = rt.checkpoint(original, true);
        FixtureProcess restored = rt.restore(original, r.image().id());

        InotifyFile in = (InotifyFile) r.image().fds().stream().filter(f -> f.kind() == FdEntry.Kind.INOTIFY)
                .findFirst().orElseThrow().file();
        assertThat(in.watches()).extracting(InotifyFile.Watch::wd, InotifyFile.Watch::path).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, original.file("w").toString()),
                org.assertj.core.groups.Tuple.tuple(2, original.file("w/file").toString()),
                org.assertj.core.groups.Tuple.tuple(4, original.file("w/other").toString()));
        assertThat(restored.check()).isEqualTo("PASS");
    }
}
