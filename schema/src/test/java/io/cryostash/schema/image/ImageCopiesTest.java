// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.cryostash.schema.image.fds.FileLock;
import io.cryostash.schema.image.fds.PipeFile;

/** Copies of manifest records keep every field: what the threads and descriptors work both added. */
class ImageCopiesTest {

    private static ProcessImage full() {
        ProcessImage b = ImageCodecTest.sample(List.of(ImageCodecTest.anon(0x10000, 0x20000)),
                ProcessImage.FORMAT_VERSION, "/tmp");
        byte[] info = new byte[PendingSignal.SIGINFO_BYTES];
        info[0] = 10;
        ProcessTimers timers = new ProcessTimers(List.of(new ProcessTimers.IntervalTimer(0, 5_000_000, 0)),
                List.of(new ProcessTimers.PosixTimer(3, 1, 4, 14, 99, 1_000_000, 0, 10)));
        List<FdEntry> fds = List.of(
                new FdEntry(3, FdEntry.Kind.PIPE, "pipe:[7]", 0, 0, null, new PipeFile(7, true, 4096, new byte[] {1}),
                        List.of()),
                new FdEntry(4, FdEntry.Kind.PIPE, "pipe:[7]", 0, 0, 3, null, List.of()),
                new FdEntry(5, FdEntry.Kind.REGULAR, "/tmp/f", 2, 0, null, null,
                        List.of(new FileLock(FileLock.Type.FLOCK, true, 0, 0))));
        return new ProcessImage(b.formatVersion(), b.id(), b.parent(), b.tracking(), b.createdAt(), b.host(),
                b.process(), b.credentials(), b.mm(), b.areas(), b.threads(), b.signalActions(), b.fs(), fds,
                b.rlimits(), b.files(), timers, List.of(new PendingSignal(10, info)), b.sysvIpc(), null);
    }

    @Test
    void withCopiesKeepTimersQueuedSignalsAndDescriptorRecords() {
        ProcessImage im = full();
        for (ProcessImage copy : List.of(im.withId("abc"), im.withFds(im.fds()), im.withAreas(im.areas()))) {
            assertThat(copy).usingRecursiveComparison().ignoringFields("id").isEqualTo(im);
            assertThat(copy.timers().posixTimers()).hasSize(1);
            assertThat(copy.sharedPendingSignals()).hasSize(1);
            assertThat(copy.fds().get(0).file()).isNotNull();
            assertThat(copy.fds().get(1).dupOf()).isEqualTo(3);
            assertThat(copy.fds().get(2).locks()).hasSize(1);
        }
    }

    @Test
    void givingUpADescriptorDropsItsRecordOnPurposeAndOnlyAsClosedOrRedirected() {
        FdEntry pipe = full().fds().get(0);
        FdEntry closed = pipe.givenUp(FdEntry.Kind.CLOSED);
        assertThat(closed.kind()).isEqualTo(FdEntry.Kind.CLOSED);
        assertThat(closed.file()).isNull();
        assertThat(closed.fd()).isEqualTo(3);
        assertThatThrownBy(() -> pipe.givenUp(FdEntry.Kind.PIPE)).isInstanceOf(IllegalArgumentException.class);
    }
}
