// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.cryostash.schema.image.fds.EpollFile;
import io.cryostash.schema.image.fds.EventfdFile;
import io.cryostash.schema.image.fds.FileLock;
import io.cryostash.schema.image.fds.InetSocketFile;
import io.cryostash.schema.image.fds.PipeFile;
import io.cryostash.schema.image.fds.TerminalFile;
import io.cryostash.schema.image.fds.UnixSocketFile;

/** Descriptor entries with their per-kind records survive the manifest codec, and bad ones are refused. */
class DescriptorRecordsTest {
    private final ImageCodec codec = new ImageCodec();

    private static ProcessImage with(List<FdEntry> fds) {
        ProcessImage base = ImageCodecTest.sample(List.of(ImageCodecTest.anon(0x10000, 0x20000)),
                ProcessImage.FORMAT_VERSION, "/tmp");
        return base.withFds(fds);
    }

    @Test
    void everyKindOfRecordRoundTripsWithItsTypeAndDuplicatesAndLocks() {
        byte[] addr = {2, 0, 0x1f, (byte) 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
        List<FdEntry> fds = List.of(
                new FdEntry(3, FdEntry.Kind.PIPE, "pipe:[7]", 0, 0, null, new PipeFile(7, true, 65536, new byte[] {1, 2}),
                        List.of()),
                new FdEntry(4, FdEntry.Kind.PIPE, "pipe:[7]", 1, 0, null, new PipeFile(7, false, 65536, null), List.of()),
                new FdEntry(5, FdEntry.Kind.PIPE, "pipe:[7]", 1, 0, 4, null, List.of()),
                new FdEntry(6, FdEntry.Kind.EVENTFD, "anon_inode:[eventfd]", 2, 0, null, new EventfdFile(1L << 40, true),
                        List.of()),
                new FdEntry(7, FdEntry.Kind.EPOLL, "anon_inode:[eventpoll]", 2, 0, null,
                        new EpollFile(List.of(new EpollFile.Target(6, 1, 42))), List.of()),
                new FdEntry(8, FdEntry.Kind.UNIX_SOCKET, "socket:[9]", 2, 0, null, new UnixSocketFile(9, 1,
                        UnixSocketFile.Role.LISTENING, new byte[] {1, 0, '/', 'x', 0}, 0, null, 5, List.of()), List.of()),
                new FdEntry(9, FdEntry.Kind.TCP_SOCKET, "socket:[10]", 2, 0, null, new InetSocketFile(2, 6,
                        InetSocketFile.State.ESTABLISHED, addr, addr, 0, Map.of("TCP_NODELAY", 1),
                        new InetSocketFile.TcpRepair(1, 2, new byte[0], new byte[] {3}, new byte[0], 1460, 7, 7, true, 99,
                                new long[] {1, 2, 3, 4, 5}), "cryostash_lock_1_ab", null), List.of()),
                new FdEntry(10, FdEntry.Kind.TERMINAL, "/dev/pts/1", 2, 0, null,
                        new TerminalFile(new byte[36], 24, 80, true, true), List.of()),
                new FdEntry(11, FdEntry.Kind.REGULAR, "/tmp/f", 2, 0, null, null,
                        List.of(new FileLock(FileLock.Type.POSIX, true, 10, 20))));

        ProcessImage back = codec.decode(codec.encode(with(fds)));

        assertThat(back.fds()).usingRecursiveComparison().isEqualTo(fds);
        assertThat(new String(codec.encode(with(fds)))).contains("\"@type\" : \"inet-socket\"");
    }

    @Test
    void kindWithoutItsRecordIsRefused() {
        assertThatThrownBy(() -> codec.decode(codec.encode(with(List.of(
                FdEntry.withoutRecord(3, FdEntry.Kind.PIPE, "pipe:[7]", 0, 0))))))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("descriptor 3 of kind PIPE");
    }

    @Test
    void duplicateOfAHigherOrMissingDescriptorIsRefused() {
        assertThatThrownBy(() -> codec.decode(codec.encode(with(List.of(
                new FdEntry(3, FdEntry.Kind.REGULAR, "/tmp/f", 0, 0, 9, null, List.of()))))))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("duplicates 9");
    }

    @Test
    void descriptorListedTwiceIsRefused() {
        assertThatThrownBy(() -> codec.decode(codec.encode(with(List.of(
                FdEntry.withoutRecord(3, FdEntry.Kind.REGULAR, "/tmp/f", 0, 0), FdEntry.withoutRecord(3, FdEntry.Kind.REGULAR, "/tmp/g", 0, 0))))))
                .isInstanceOf(InvalidImageException.class).hasMessageContaining("listed twice");
    }

    @Test
    void imageWithoutTimersReadsAsNone() {
        String json = new String(codec.encode(with(List.of()))).replaceFirst(",\\s*\"timers\"\\s*:\\s*\\{[^}]*\\}", "");
        assertThat(json).doesNotContain("\"timers\"");
        assertThat(codec.decode(json.getBytes()).timers()).isEqualTo(ProcessTimers.NONE);
    }
}
