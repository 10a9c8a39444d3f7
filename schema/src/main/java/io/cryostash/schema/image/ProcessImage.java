// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.time.Instant;
import java.util.List;

/**
 * Everything Cryostash knows about one frozen process: the image manifest. Memory contents are
 * not in here; each {@link MemoryArea} names the chunks its pages are kept in.
 *
 * <p>{@code id} is the store's name for the image, derived from the signed envelope around this
 * manifest; it is null inside the stored payload and filled in when the image is read.
 * {@code parent} is the image an incremental capture started from (null for a full one) and
 * {@code tracking} how it learned which pages changed. {@code timers} is absent (none) in images
 * from before timers were saved.
 */
public record ProcessImage(
        String formatVersion,
        String id,
        String parent,
        String tracking,
        Instant createdAt,
        HostInfo host,
        ProcessInfo process,
        Credentials credentials,
        MmLayout mm,
        List<MemoryArea> areas,
        List<ThreadState> threads,
        List<SignalAction> signalActions,
        FsState fs,
        List<FdEntry> fds,
        List<Rlimit> rlimits,
        List<FileFingerprint> files,
        ProcessTimers timers) {

    /** major.minor: readers refuse another major version. */
    public static final String FORMAT_VERSION = "3.0";

    public ProcessImage {
        timers = timers == null ? ProcessTimers.NONE : timers;
    }

    public ProcessImage(String formatVersion, String id, String parent, String tracking, Instant createdAt,
                        HostInfo host, ProcessInfo process, Credentials credentials, MmLayout mm,
                        List<MemoryArea> areas, List<ThreadState> threads, List<SignalAction> signalActions,
                        FsState fs, List<FdEntry> fds, List<Rlimit> rlimits, List<FileFingerprint> files) {
        this(formatVersion, id, parent, tracking, createdAt, host, process, credentials, mm, areas, threads,
                signalActions, fs, fds, rlimits, files, ProcessTimers.NONE);
    }

    public ProcessImage withId(String newId) {
        return new ProcessImage(formatVersion, newId, parent, tracking, createdAt, host, process, credentials, mm, areas,
                threads, signalActions, fs, fds, rlimits, files, timers);
    }

    public ProcessImage withFds(List<FdEntry> newFds) {
        return new ProcessImage(formatVersion, id, parent, tracking, createdAt, host, process, credentials, mm, areas,
                threads, signalActions, fs, newFds, rlimits, files, timers);
    }

    public ProcessImage withAreas(List<MemoryArea> newAreas) {
        return new ProcessImage(formatVersion, id, parent, tracking, createdAt, host, process, credentials, mm, newAreas,
                threads, signalActions, fs, fds, rlimits, files, timers);
    }
}

