// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/**
 * One open file descriptor. {@code flags} are the open flags from /proc/PID/fdinfo (O_APPEND,
 * O_CLOEXEC, … included); {@code target} is what the descriptor pointed at, as readlink showed it.
 */
public record FdEntry(int fd, Kind kind, String target, int flags, long position) {

    public enum Kind {
        REGULAR, DIRECTORY, CHARACTER_DEVICE,
        /** A pipe, socket, terminal or anything else that cannot be reopened by path. */
        UNREOPENABLE
    }

    public boolean reopenable() {
        return kind != Kind.UNREOPENABLE;
    }
}
