// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import io.cryostash.schema.store.AreaChunks;

/**
 * One line of /proc/PID/maps and the pages of it the image keeps, as chunks in the store
 * ({@code content}, null when the area keeps no page). Pages not stored are either not present
 * (never touched: restore leaves them untouched too) or clean file pages that come from
 * {@link #path()}.
 */
public record MemoryArea(long start, long end, String perms, long fileOffset, String path, Kind kind,
                         AreaChunks content) {

    public enum Kind {
        /** Private anonymous memory, heap and stack included. */
        ANONYMOUS,
        /** Private mapping of a file: clean pages from the file, copied-on-write pages from the image. */
        FILE_PRIVATE,
        /** Shared mapping of a file: everything comes from the file. */
        FILE_SHARED,
        /** MAP_SHARED|MAP_ANONYMOUS memory (shmem): every page is in the image. */
        SHARED_ANONYMOUS,
        /**
         * An attachment of a SysV shared memory segment ({@code path} /SYSV followed by the key in
         * hex): its bytes are the segment's, kept with {@link SysvIpcState.SharedSegment}, never as pages.
         */
        SYSV_SHM,
        /** The vDSO and its data pages: placed where the image expects them, never stored. */
        VDSO, VVAR
    }

    public MemoryArea withContent(AreaChunks newContent) {
        return new MemoryArea(start, end, perms, fileOffset, path, kind, newContent);
    }

    public long length() {
        return end - start;
    }

    public boolean readable() {
        return perms.charAt(0) == 'r';
    }

    public boolean writable() {
        return perms.charAt(1) == 'w';
    }

    public boolean executable() {
        return perms.charAt(2) == 'x';
    }

    public boolean shared() {
        return perms.charAt(3) == 's';
    }

    public long storedPages() {
        return content == null ? 0 : content.presentPages();
    }
}
