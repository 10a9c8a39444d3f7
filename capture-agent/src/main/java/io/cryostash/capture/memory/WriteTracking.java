// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.PageRegion;
import io.cryostash.agent.linux.PagemapScan;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.agent.tracking.KernelFeatures;
import io.cryostash.agent.tracking.TrackingState;
import io.cryostash.agent.tracking.WriteTracker;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MemoryArea.Kind;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunks;

/**
 * The capture side of dirty-page tracking. Before memory is read (process frozen): find (or
 * start) the process's write tracker, and for every tracked area take its written pages — one
 * PAGEMAP_SCAN walk reports them and write-protects them again, so the next capture sees only
 * what is written from now on. For areas the parent image also has, only the chunks of those
 * pages are read. Tracking is trusted only against the image it was last reset
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
        return prepare(pid, maps, parent, null, null, track, features, state, remote, mem, scratch, nofileSoftLimit,
                chunker);
    }

    /**
     * @param preCopied what a whole pre-copy pass stored while the process ran, by area start,
     *                  after this capture armed the tracker itself: the baseline instead of the parent
     * @param early     what an incremental pre-copy pass copied while the process ran, by area
     *                  start; that pass already took the pages written since the parent, so only
     *                  its areas can be planned (the others are read whole)
     */
    public static WriteTracking prepare(int pid, List<MapsEntry> maps, ProcessImage parent,
                                        Map<Long, AreaChunks> preCopied,
                                        Map<Long, MemoryCapture.PreCopiedArea> early, boolean track,
                                        KernelFeatures features, TrackingState state, RemoteSyscalls remote,
                                        ProcessMemory mem, long scratch, long nofileSoftLimit, AreaChunker chunker) {
        int chunkPages = chunker.chunkSize() / 4096;
        if (!features.canTrackWrites() || (!track && parent == null && preCopied == null && early == null)) {
            return none(parent);
        }
        WriteTracker tracker = WriteTracker.find(remote, mem, scratch);
        // the pre-copy passes checked (or made) the tracker's baseline before they took its bits
        boolean usable = tracker != null && (preCopied != null || early != null
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
                            MemoryCapture.classify(pid, e), c, java.util.Set.of()));
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
                List<PageRegion> written = scan.takeWritten(e.start(), e.end());
                if (written == null) { // not (wholly) registered: a new area, or the tracker is new
                    if (tracker.register(e.start(), e.length()) && scan.takeWritten(e.start(), e.end()) != null) {
                        tracked.add(new long[] {e.start(), e.end()});
                    }
                    continue;
                }
                tracked.add(new long[] {e.start(), e.end()});
                AreaChunks content = baseline(parentAreas.get(e.start()), e, kind, chunkPages);
                if (!usable || content == null) {
                    continue;
                }
                BitSet now = pages(e.start(), written);
                if (early == null) {
                    plans.put(e.start(), new MemoryCapture.AreaPlan(content, now, chunker));
                    continue;
                }
                MemoryCapture.PreCopiedArea pass = early.get(e.start());
                if (pass != null && pass.end() == e.end()) {
                    BitSet since = (BitSet) pass.written().clone();
                    since.or(now);
                    plans.put(e.start(), new MemoryCapture.AreaPlan(content, since, chunker, pass, now));
                }
            }
        }
        String label = !plans.isEmpty() ? (preCopied != null || early != null ? PRE_COPY : WriteTracker.NAME)
                : parent == null ? FULL : CONTENT_HASH;
        return new WriteTracking(plans, tracked, label);
    }

    /** The area's content in the baseline image when it can be planned against: same place, kind and chunking. */
    static AreaChunks baseline(MemoryArea before, MapsEntry e, Kind kind, int chunkPages) {
        if (before == null || before.end() != e.end() || before.kind() != kind) {
            return null;
        }
        AreaChunks content = before.content() != null ? before.content()
                : new AreaChunks(e.start(), e.length(), 4096, chunkPages, List.of());
        return content.chunkPages() == chunkPages && content.pageSize() == 4096 ? content : null;
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

    static BitSet pages(long areaStart, List<PageRegion> ranges) {
        BitSet b = new BitSet();
        for (PageRegion r : ranges) {
            b.set((int) ((r.start() - areaStart) >> 12), (int) ((r.end() - areaStart) >> 12));
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
