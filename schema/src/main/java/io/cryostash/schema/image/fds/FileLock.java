// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

/**
 * A lock the process held on a file (one line of /proc/locks).
 *
 * @param type  FLOCK (whole file, the open file's), POSIX (byte range, the process's) or OFDLCK
 *              (byte range, the open file's)
 * @param write exclusive (else shared)
 * @param start first byte (ranges)
 * @param length bytes covered, 0 up to the end of the file (ranges)
 */
public record FileLock(Type type, boolean write, long start, long length) {
    public enum Type { FLOCK, POSIX, OFDLCK }
}
