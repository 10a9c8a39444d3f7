package io.cryostash.capture.memory;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.PagemapScan;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.agent.store.memory.AreaChunker;
import io.cryostash.agent.tracking.KernelFeatures;
import io.cryostash.agent.tracking.TrackingState;
import io.cryostash.agent.tracking.WriteTracker;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MemoryArea.Kind;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunks;

/**
 * The capture side of dirty-page tracking. Before memory is read: find (or start) the
 * process's write tracker, and for every tracked area that the parent image also has, ask which
 * pages were written since the parent — only their chunks are read. After memory is read (the
 * process still frozen): write-protect every tracked area again, so the next capture sees only
 * what is written from now on. Tracking is trusted only against the image it was last reset
 * for ({@link TrackingState}); anything else reads the area whole.
 */
public final class WriteTracking {
    public static final String FULL = "full";
    public static final String CONTENT_HASH = "content-hash";
    public static final String PRE_COPY = "pre-copy+" + WriteTracker.NAME;

    private final Map<Long, MemoryCapture.AreaPlan> plans;
    private final List<long[]> tracked;
    private final String label;

    private WriteTracking(Map<Long, MemoryCapture.AreaPlan> plans, List<long[]> tracked, String label) {
        this.plans = plans;
        this.tracked = tracked;
        this.label = label;
    }

    public static WriteTracking none(ProcessImage parent) {
        return new WriteTracking(Map.of(), List.of(), parent == null ? FULL : CONTENT_HASH);
    }

    /**
     * Runs on the tracer thread, process frozen, with remote system calls available.
     *
     * @param track start tracking for the next capture even without a parent
     */
    public static WriteTracking prepare(int pid, List<MapsEntry> maps, ProcessImage parent, boolean track,
                                        KernelFeatures features, TrackingState state, RemoteSyscalls remote,
                                        ProcessMemory mem, long scratch, long nofileSoftLimit, AreaChunker chunker) {
        return prepare(pid, maps, parent, null, track, features, state, remote, mem, scratch, nofileSoftLimit,
                chunker);
    }

    /**
     * @param preCopied what a pre-copy pass stored while the process ran, by area start, after
     *                  this capture armed the tracker itself: the baseline instead of the parent
     */
    public static WriteTracking prepare(int pid, List<MapsEntry> maps, ProcessImage parent,
                                        Map<Long, AreaChunks> preCopied, boolean track, KernelFeatures features,
                                        TrackingState state, RemoteSyscalls remote, ProcessMemory mem, long scratch,
                                        long nofileSoftLimit, AreaChunker chunker) {
        int chunkPages = chunker.chunkSize() / 4096;
        if (!features.canTrackWrites() || (!track && parent == null && preCopied == null)) {
            return none(parent);
        }
        WriteTracker tracker = WriteTracker.find(remote, mem, scratch);
        boolean usable = tracker != null && (preCopied != null
                || (parent != null && parent.id().equals(state.lastImage())));
        if (tracker == null) {
            tracker = WriteTracker.start(remote, mem, scratch, nofileSoftLimit);
        }
        state.pending(); // from here until the image is stored, the tracked writes belong to no image
        Map<Long, MemoryArea> parentAreas = new HashMap<>();
        if (preCopied != null) {
            for (MapsEntry e : maps) {
                AreaChunks c = preCopied.get(e.start());
                if (c != null && c.length() == e.length()) {
                    parentAreas.put(e.start(), new MemoryArea(e.start(), e.end(), e.perms(), e.offset(), e.path(),
                            MemoryCapture.classify(pid, e), c));
                }
            }
        } else if (parent != null) {
            parent.areas().forEach(a -> parentAreas.put(a.start(), a));
        }
        Map<Long, MemoryCapture.AreaPlan> plans = new HashMap<>();
        List<long[]> tracked = new ArrayList<>();
        try (PagemapScan scan = new PagemapScan(pid)) {
            for (MapsEntry e : maps) {
                Kind kind = MemoryCapture.classify(pid, e);
                if (kind != Kind.ANONYMOUS && kind != Kind.FILE_PRIVATE) {
                    continue; // shared memory can change through other mappings: always read whole
                }
                boolean covered = WriteTracker.covers(scan, e.start(), e.end());
                MemoryArea before = parentAreas.get(e.start());
                if (usable && covered && before != null && before.end() == e.end() && before.kind() == kind) {
                    AreaChunks content = before.content() != null ? before.content()
                            : new AreaChunks(e.start(), e.length(), 4096, chunkPages, List.of());
                    if (content.chunkPages() == chunkPages && content.pageSize() == 4096) {
                        plans.put(e.start(), new MemoryCapture.AreaPlan(content,
                                pages(e.start(), WriteTracker.written(scan, e.start(), e.end(), false)), chunker));
                    }
                }
                if (!covered) {
                    covered = tracker.register(e.start(), e.length());
                }
                if (covered) {
                    tracked.add(new long[] {e.start(), e.end()});
                }
            }
        }
        String label = !plans.isEmpty() ? (preCopied != null ? PRE_COPY : WriteTracker.NAME)
                : parent == null ? FULL : CONTENT_HASH;
        return new WriteTracking(plans, tracked, label);
    }

    /**
     * Before a pre-copy pass (process frozen briefly): make sure every private area is tracked
     * and write-protected, so whatever the process writes while its memory is being copied is
     * found again in the real freeze.
     *
     * @return the tracked areas' bounds; the caller resets (write-protects) them
     */
    public static WriteTracking arm(int pid, List<MapsEntry> maps, TrackingState state, RemoteSyscalls remote,
                                    ProcessMemory mem, long scratch, long nofileSoftLimit) {
        WriteTracker tracker = WriteTracker.find(remote, mem, scratch);
        if (tracker == null) {
            tracker = WriteTracker.start(remote, mem, scratch, nofileSoftLimit);
        }
        state.pending();
        List<long[]> tracked = new ArrayList<>();
        try (PagemapScan scan = new PagemapScan(pid)) {
            for (MapsEntry e : maps) {
                Kind kind = MemoryCapture.classify(pid, e);
                if (kind != Kind.ANONYMOUS && kind != Kind.FILE_PRIVATE) {
                    continue;
                }
                if (WriteTracker.covers(scan, e.start(), e.end()) || tracker.register(e.start(), e.length())) {
                    tracked.add(new long[] {e.start(), e.end()});
                }
            }
        }
        return new WriteTracking(Map.of(), tracked, PRE_COPY);
    }

    private static BitSet pages(long areaStart, List<long[]> ranges) {
        BitSet b = new BitSet();
        for (long[] r : ranges) {
            b.set((int) ((r[0] - areaStart) >> 12), (int) ((r[1] - areaStart) >> 12));
        }
        return b;
    }

    public Map<Long, MemoryCapture.AreaPlan> plans() {
        return plans;
    }

    /** How this capture chose its pages, for the manifest. */
    public String label() {
        return label;
    }

    /** Write-protects every tracked area again; after the memory was read, before the process runs. */
    public void reset(int pid) {
        if (tracked.isEmpty()) {
            return;
        }
        try (PagemapScan scan = new PagemapScan(pid)) {
            for (long[] r : tracked) {
                WriteTracker.written(scan, r[0], r[1], true);
            }
        }
    }

    public boolean active() {
        return !tracked.isEmpty();
    }
}
