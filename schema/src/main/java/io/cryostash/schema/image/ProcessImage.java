package io.cryostash.schema.image;

import java.time.Instant;
import java.util.List;

/**
 * Everything Cryostash knows about one frozen process: the image manifest. Memory contents are
 * not in here; each {@link MemoryArea} names where its pages are kept.
 */
public record ProcessImage(
        String formatVersion,
        String id,
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
        List<FileFingerprint> files) {

    /** major.minor: readers refuse another major version. */
    public static final String FORMAT_VERSION = "1.0";
}
