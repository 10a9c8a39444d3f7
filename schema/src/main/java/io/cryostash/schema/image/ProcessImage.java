// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Everything Cryostash knows about one frozen process: the image manifest. Memory contents are
 * not in here; each {@link MemoryArea} names the chunks its pages are kept in.
 *
 * <p>{@code id} is the store's name for the image, derived from the signed envelope around this
 * manifest; it is null inside the stored payload and filled in when the image is read.
 * {@code parent} is the image an incremental capture started from (null for a full one) and
 * {@code tracking} how it learned which pages changed. {@code timers} is absent (none) in images
 * from before timers were saved, {@code sysvIpc} (none) in images from before 5.0. {@code sharedPendingSignals} are the signals queued to the
 * whole process (kill, sigqueue) and not yet delivered; those queued to one thread are in its
 * {@link ThreadState}. {@code tree} holds the process's descendants when they were captured
 * with it ({@code checkpoint --tree}), null for a process captured alone.
 *
 * <p>There is only the canonical constructor, on purpose: a shorter one defaulting the newer
 * fields made copies that silently dropped timers or queued signals. Copy with the
 * {@code with…} methods.
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
        ProcessTimers timers,
        List<PendingSignal> sharedPendingSignals,
        SysvIpcState sysvIpc,
        @JsonInclude(JsonInclude.Include.NON_NULL) ProcessTree tree) {

    /**
     * major.minor. A reader decodes its own major version and the older ones it names in
     * {@link #OLDEST_READABLE_MAJOR} (what they lack reads as absent: no timers, no queued signals,
     * unnamed threads) and refuses any newer major. 4.0: descriptor kinds beyond paths, timers and
     * terminals (the descriptors work first wrote these as 3.0, which a 3.x reader from before it
     * failed to decode), threads' names, queued signals and no_new_privs (briefly 3.1), the thread a
     * POSIX timer signals (targetTid): a 3.x reader would drop the signals and timers without a word,
     * so it must refuse instead. 5.0: SysV IPC
     * objects ({@code sysvIpc}) and attached segments (areas of kind SYSV_SHM): a 4.x reader would
     * restore the process without its semaphores and queues, and process trees ({@link #tree}), which
     * it would ignore and restore the root alone: both without a word, so it must refuse (it does, by
     * its major check). 5.1: the network lock of an established TCP connection ({@code
     * InetSocketFile.networkLock}), which its restore releases; a 5.0 reader leaves it (released by
     * {@code cryostash network-locks --release}). 6.0: areas' settings ({@link MemoryArea#settings}:
     * madvise advice, mlock, MAP_NORESERVE), which a 5.x reader would drop without a word.
     */
    public static final String FORMAT_VERSION = "6.0";

    /** The oldest major version this reader still decodes. */
    public static final int OLDEST_READABLE_MAJOR = 3;

    public ProcessImage {
        timers = timers == null ? ProcessTimers.NONE : timers;
        sharedPendingSignals = sharedPendingSignals == null ? List.of() : List.copyOf(sharedPendingSignals);
        sysvIpc = sysvIpc == null ? SysvIpcState.NONE : sysvIpc;
    }

    public ProcessImage withId(String newId) {
        return new ProcessImage(formatVersion, newId, parent, tracking, createdAt, host, process, credentials, mm, areas,
                threads, signalActions, fs, fds, rlimits, files, timers, sharedPendingSignals, sysvIpc, tree);
    }

    public ProcessImage withFds(List<FdEntry> newFds) {
        return new ProcessImage(formatVersion, id, parent, tracking, createdAt, host, process, credentials, mm, areas,
                threads, signalActions, fs, newFds, rlimits, files, timers, sharedPendingSignals, sysvIpc, tree);
    }

    public ProcessImage withTree(ProcessTree newTree) {
        return new ProcessImage(formatVersion, id, parent, tracking, createdAt, host, process, credentials, mm, areas,
                threads, signalActions, fs, fds, rlimits, files, timers, sharedPendingSignals, sysvIpc, newTree);
    }

    /** Whether descendants were captured with this process. */
    public boolean hasTree() {
        return tree != null;
    }

    public ProcessImage withAreas(List<MemoryArea> newAreas) {
        return new ProcessImage(formatVersion, id, parent, tracking, createdAt, host, process, credentials, mm, newAreas,
                threads, signalActions, fs, fds, rlimits, files, timers, sharedPendingSignals, sysvIpc, tree);
    }
}
