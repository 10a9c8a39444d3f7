// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.EnumSet;
import java.util.Set;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cryostash.schema.store.AreaChunks;

/**
 * One line of /proc/PID/maps and the pages of it the image keeps, as chunks in the store
 * ({@code content}, null when the area keeps no page). Pages not stored are either not present
 * (never touched: restore leaves them untouched too) or clean file pages that come from
 * {@link #path()}. {@code settings} are what the program asked of the area beyond its
 * protection (madvise, mlock, mmap flags), empty in images from before 6.0.
 *
 * <p>There is only the canonical constructor, as for {@link ProcessImage}: a shorter one would
 * let a copy drop the settings without a word. Copy with {@link #withContent}.
 */
public record MemoryArea(long start, long end, String perms, long fileOffset, String path, Kind kind,
                         AreaChunks content, @JsonInclude(JsonInclude.Include.NON_EMPTY) Set<Setting> settings) {

    public MemoryArea {
        settings = settings == null || settings.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(settings));
    }

    /**
     * An area's state that /proc/PID/smaps shows in {@code VmFlags} and a restore must set again:
     * the program's madvise advice, its memory locks, and the mmap flags that are not protection.
     */
    public enum Setting {
        /** MADV_HUGEPAGE: transparent huge pages wanted. */
        HUGEPAGE,
        /** MADV_NOHUGEPAGE. */
        NOHUGEPAGE,
        /** MADV_DONTFORK: a child does not get the area. */
        DONTFORK,
        /** MADV_WIPEONFORK: a child gets the area zeroed. */
        WIPEONFORK,
        /** MADV_DONTDUMP: left out of core dumps. */
        DONTDUMP,
        /** MADV_MERGEABLE: offered to KSM. */
        MERGEABLE,
        /** MADV_RANDOM: no read-ahead. */
        RANDOM,
        /** MADV_SEQUENTIAL: aggressive read-ahead. */
        SEQUENTIAL,
        /** mlock: every page resident and locked. */
        LOCKED,
        /** mlock2(MLOCK_ONFAULT): pages locked as they are touched. */
        LOCKED_ON_FAULT,
        /** MAP_NORESERVE: no swap space reserved (overcommit accounting). */
        NORESERVE,
        /** MAP_GROWSDOWN: grows down as the stack does. */
        GROWSDOWN
    }

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
        return new MemoryArea(start, end, perms, fileOffset, path, kind, newContent, settings);
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

    public boolean has(Setting s) {
        return settings.contains(s);
    }

    public long storedPages() {
        return content == null ? 0 : content.presentPages();
    }
}
