// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cryostash.schema.image.fds.FileLock;
import io.cryostash.schema.image.fds.OpenFile;

/**
 * One open file descriptor. {@code flags} are the open flags from /proc/PID/fdinfo (O_APPEND,
 * O_CLOEXEC, … included); {@code target} is what the descriptor pointed at, as readlink showed it.
 *
 * @param dupOf a lower descriptor of the same open file (made by dup, or inherited so): restore
 *              duplicates that one instead of opening anew, so both share offset and flags; null
 *              when this is the first (or only) descriptor of its file
 * @param file  what a kind other than a plain path keeps (a pipe's queued bytes, an eventfd's
 *              counter, a socket's addresses…); null for paths and for duplicates
 * @param locks locks this descriptor's file holds (flock and POSIX), empty when none
 */
public record FdEntry(int fd, Kind kind, String target, int flags, long position,
                      @JsonInclude(JsonInclude.Include.NON_NULL) Integer dupOf,
                      @JsonInclude(JsonInclude.Include.NON_NULL) OpenFile file,
                      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<FileLock> locks) {

    public enum Kind {
        REGULAR, DIRECTORY, CHARACTER_DEVICE,
        /**
         * Written by images from before descriptors were classified: a pipe, socket, terminal or
         * anything else that could not be reopened by path, which restore bound to /dev/null or
         * a log. Restore accepts it only on the standard streams.
         */
        UNREOPENABLE,
        /** A standard stream on a terminal or a pipe that will be gone: restore binds /dev/null or the log. */
        REDIRECTED,
        /** Given up explicitly at capture ({@code --close-fd}): restore leaves the number closed. */
        CLOSED,
        PIPE, FIFO, EVENTFD, TIMERFD, SIGNALFD, EPOLL, INOTIFY, MEMFD, DELETED_FILE,
        UNIX_SOCKET, TCP_SOCKET, UDP_SOCKET, TERMINAL
    }

    public FdEntry {
        locks = locks == null ? List.of() : List.copyOf(locks);
    }

    /**
     * A descriptor with no per-kind record, duplicate link or locks: a path as first read (its
     * kind's capturer adds the rest), or a test's. A static method rather than a shorter
     * constructor, so that no copy of an entry can go through it and lose those fields unseen.
     */
    public static FdEntry withoutRecord(int fd, Kind kind, String target, int flags, long position) {
        return new FdEntry(fd, kind, target, flags, position, null, null, List.of());
    }

    /**
     * This descriptor given up ({@link Kind#CLOSED} or {@link Kind#REDIRECTED}): its record,
     * duplicate link and locks are dropped on purpose, since restore does not rebuild it.
     */
    public FdEntry givenUp(Kind how) {
        if (how != Kind.CLOSED && how != Kind.REDIRECTED) {
            throw new IllegalArgumentException("a descriptor is given up as CLOSED or REDIRECTED, not " + how);
        }
        return new FdEntry(fd, how, target, flags, position, null, null, List.of());
    }

    /** A file Cryostash opens again by its path (regular file, directory, device node). */
    public boolean reopenable() {
        return kind == Kind.REGULAR || kind == Kind.DIRECTORY || kind == Kind.CHARACTER_DEVICE;
    }

    /** Bound to /dev/null or the restore's log instead of what it was. */
    public boolean redirected() {
        return kind == Kind.REDIRECTED || kind == Kind.UNREOPENABLE;
    }

    public FdEntry withFile(OpenFile newFile) {
        return new FdEntry(fd, kind, target, flags, position, dupOf, newFile, locks);
    }

    public FdEntry withLocks(List<FileLock> newLocks) {
        return new FdEntry(fd, kind, target, flags, position, dupOf, file, newLocks);
    }
}
