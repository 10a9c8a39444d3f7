// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import io.cryostash.schema.image.fds.EpollFile;
import io.cryostash.schema.image.fds.InetSocketFile;
import io.cryostash.schema.image.fds.EventfdFile;
import io.cryostash.schema.image.fds.InotifyFile;
import io.cryostash.schema.image.fds.MemoryFile;
import io.cryostash.schema.image.fds.OpenFile;
import io.cryostash.schema.image.fds.PipeFile;
import io.cryostash.schema.image.fds.SignalfdFile;
import io.cryostash.schema.image.fds.TerminalFile;
import io.cryostash.schema.image.fds.TimerfdFile;
import io.cryostash.schema.image.fds.UnixSocketFile;

/** Which per-kind record each descriptor kind carries, checked when a manifest is read. */
final class FdFiles {
    private FdFiles() {
    }

    static Class<? extends OpenFile> recordOf(FdEntry.Kind kind) {
        return switch (kind) {
            case PIPE, FIFO -> PipeFile.class;
            case EVENTFD -> EventfdFile.class;
            case TIMERFD -> TimerfdFile.class;
            case SIGNALFD -> SignalfdFile.class;
            case EPOLL -> EpollFile.class;
            case INOTIFY -> InotifyFile.class;
            case MEMFD, DELETED_FILE -> MemoryFile.class;
            case UNIX_SOCKET -> UnixSocketFile.class;
            case TCP_SOCKET, UDP_SOCKET -> InetSocketFile.class;
            case TERMINAL -> TerminalFile.class;
            default -> null;
        };
    }

    static void check(FdEntry fd) {
        Class<? extends OpenFile> want = recordOf(fd.kind());
        if (fd.dupOf() != null) {
            if (fd.file() != null) {
                throw new InvalidImageException("descriptor " + fd.fd() + " duplicates " + fd.dupOf()
                        + " and still carries a file of its own");
            }
            return;
        }
        if (want == null ? fd.file() != null : !want.isInstance(fd.file())) {
            throw new InvalidImageException("descriptor " + fd.fd() + " of kind " + fd.kind() + " carries "
                    + (fd.file() == null ? "no file record" : "a " + fd.file().getClass().getSimpleName())
                    + (want == null ? "" : " instead of a " + want.getSimpleName()));
        }
        if (fd.file() instanceof PipeFile p && p.queued() != null && p.queued().length > (1 << 24)) {
            throw new InvalidImageException("pipe of descriptor " + fd.fd() + " holds more than a pipe can");
        }
        if (fd.file() instanceof UnixSocketFile u && (u.role() == null || u.address() == null || u.address().length < 2
                || u.address().length > 110 || (u.role() == UnixSocketFile.Role.CONNECTED && u.peerAddress() == null))) {
            throw new InvalidImageException("unix socket of descriptor " + fd.fd() + " is malformed");
        }
        if (fd.file() instanceof InetSocketFile i && (i.state() == null || i.local() == null
                || (i.family() != 2 && i.family() != 10) || (i.state() == InetSocketFile.State.ESTABLISHED
                && (i.repair() == null || i.peer() == null || i.repair().window() == null
                || i.repair().window().length != 5)))) {
            throw new InvalidImageException("inet socket of descriptor " + fd.fd() + " is malformed");
        }
        if (fd.file() instanceof TerminalFile t && (t.termios() == null || t.termios().length > 64)) {
            throw new InvalidImageException("terminal of descriptor " + fd.fd() + " is malformed");
        }
        if (fd.file() instanceof MemoryFile m && (m.content() == null || m.name() == null)) {
            throw new InvalidImageException("descriptor " + fd.fd() + " has no stored content");
        }
    }
}
