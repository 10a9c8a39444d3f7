// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

import java.util.List;

/** An inotify instance and its watches, by path. */
public record InotifyFile(List<Watch> watches) implements OpenFile {
    public InotifyFile {
        watches = List.copyOf(watches);
    }

    /**
     * @param wd   the watch descriptor the program knows it by (restore gives it the same number)
     * @param path what is watched, found again from the kernel's file handle at capture
     * @param mask the events asked for
     */
    public record Watch(int wd, String path, int mask) {
    }
}
