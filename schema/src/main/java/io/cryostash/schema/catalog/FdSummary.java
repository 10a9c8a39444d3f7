// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.ArrayList;
import java.util.List;

import io.cryostash.schema.image.FdEntry;

/**
 * One open descriptor of the frozen process, as the image page lists it: the manifest's
 * {@link FdEntry}, field for field.
 *
 * @param fd       descriptor number
 * @param kind     what it is; files opened by path (regular, directory, device, FIFO) have a plain path as target
 * @param target   readlink of /proc/PID/fd/N: a plain absolute path, or e.g. "pipe:[1234]"
 * @param flags    open flags from fdinfo
 * @param position file offset from fdinfo
 *                 (every number is required: JSON without it is not read)
 */
public record FdSummary(int fd, FdEntry.Kind kind, String target, int flags, long position) {

    /** Same bound as the manifest codec: RLIMIT_NOFILE cannot go past nr_open (2^20 by default). */
    public static final int MAX_FD = 1 << 20;

    public static FdSummary of(FdEntry e) {
        return new FdSummary(e.fd(), e.kind(), e.target(), e.flags(), e.position());
    }

    public List<String> problems(String at) {
        List<String> out = new ArrayList<>();
        if (fd < 0 || fd >= MAX_FD) out.add(at + ".fd: must be 0 to " + (MAX_FD - 1));
        if (kind == null) out.add(at + ".kind: is required");
        if (position < 0) out.add(at + ".position: must not be negative");
        if (kind == FdEntry.Kind.REGULAR || kind == FdEntry.Kind.DIRECTORY || kind == FdEntry.Kind.CHARACTER_DEVICE
                || kind == FdEntry.Kind.FIFO) {
            String p = PlainPath.problem(target);
            if (p != null) out.add(at + ".target: " + p);
        } else if (target != null && (target.length() > PlainPath.MAX_LENGTH || target.chars().anyMatch(c -> c < 0x20))) {
            out.add(at + ".target: at most " + PlainPath.MAX_LENGTH + " characters, no control characters");
        }
        return out;
    }
}
