// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.PageRegion;
import io.cryostash.agent.linux.PagemapScan;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.agent.tracking.TrackingState;
import io.cryostash.agent.tracking.WriteTracker;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MemoryArea.Kind;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunks;

/**
 * The running half of a leave-running incremental capture: while the process still runs, take
 * the pages written since the parent from the tracker (one walk that also write-protects them
 * again) and copy the pages the store will want. The freeze that follows takes what was written
 * since this pass and copies only that again: a page written after it was copied here was
 * written after it was protected, so the freeze's walk reports it. Freeze time then follows what
 * the program writes during the capture, not what it wrote since the parent.
 */
public final class IncrementalPreCopy {
    private IncrementalPreCopy() {
    }

    /**
     * @return pages copied, by area start; null when there is nothing to pre-copy against (no
     *         tracker in the process, or tracking not reset for {@code parent}): the freeze then
     *         decides alone. Non-null means the tracker's bits were taken: areas missing from
     *         the map must be read whole.
     */
    public static Map<Long, MemoryCapture.PreCopiedArea> copy(int pid, ProcessImage parent, TrackingState state,
                                                              AreaChunker chunker, PageBuffers buffers,
                                                              ResidentPages resident) {
        if (!parent.id().equals(state.lastImage()) || WriteTracker.descriptor(pid) < 0) {
            return null;
        }
        int chunkPages = chunker.chunkSize() / 4096;
        List<MapsEntry> maps = Maps.read(pid);
        Map<Long, MemoryArea> parentAreas = new HashMap<>();
        parent.areas().forEach(a -> parentAreas.put(a.start(), a));
        state.pending(); // the bits taken below belong to no image until this capture is stored
        Map<Long, MemoryCapture.PreCopiedArea> out = new HashMap<>();
        PageCopier copier = new PageCopier();
        try (PagemapScan scan = new PagemapScan(pid); ProcessMemory mem = new ProcessMemory(pid, false)) {
            for (MapsEntry e : maps) {
                Kind kind = MemoryCapture.classify(pid, e);
                if (kind != Kind.ANONYMOUS && kind != Kind.FILE_PRIVATE) {
                    continue;
                }
                AreaChunks content = WriteTracking.baseline(parentAreas.get(e.start()), e, kind, chunkPages);
                if (content == null) {
                    continue;
                }
                List<PageRegion> taken = scan.takeWritten(e.start(), e.end());
                if (taken == null) {
                    continue; // not tracked: the freeze reads it whole
                }
                BitSet written = WriteTracking.pages(e.start(), taken);
                BitSet present = resident.of(kind, e);
                MemoryCapture.AreaPlan plan = new MemoryCapture.AreaPlan(content, written, chunker);
                BitSet changed = MemoryCapture.changedPages(plan, present, (int) (e.length() / 4096), null);
                BitSet wanted = chunker.pagesToRead(content, e.length(), AreaChunker.PagePresence.of(present),
                        AreaChunker.PagePresence.of(changed));
                out.put(e.start(), new MemoryCapture.PreCopiedArea(e.start(), e.end(), written, present, changed, wanted,
                        MemoryCapture.queue(e, wanted, buffers, copier)));
            }
            try {
                copier.copy(pid, mem);
            } catch (RuntimeException changedUnderUs) {
                // an area went away while the process ran: copy nothing early, the freeze reads
                // every tracked area whole (its written pages were taken above)
                return Map.of();
            }
        }
        return out;
    }
}
