// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.util.BitSet;

import io.cryostash.agent.linux.PageRegion;
import io.cryostash.agent.linux.PagemapScan;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.Pagemap;
import io.cryostash.schema.image.MemoryArea.Kind;

/**
 * Which pages of an area hold data only the process has (see {@link MemoryCapture#keep}).
 * With PAGEMAP_SCAN, one walk per area reports runs of present or swapped pages, instead of a
 * pagemap entry for each of an area's pages (2 MiB of entries and a loop over 262,144 of them
 * for 1 GiB). A "swapped" page that was not written may be a userfaultfd write-protect marker
 * on an empty entry — no data, e.g. a page never touched or dropped by MADV_DONTNEED — so those
 * few are looked up in /proc/PID/pagemap, where a marker has swap type 31.
 */
public final class ResidentPages implements AutoCloseable {
    /** SWP_PTE_MARKER: the last swap type, used for markers that hold no page. */
    private static final long MARKER_SWAP_TYPE = 31;

    private final Pagemap pagemap;
    private final PagemapScan scan;
    private long nanos;

    /** @param pagemapScan whether the kernel has PAGEMAP_SCAN (KernelFeatures) */
    public ResidentPages(int pid, boolean pagemapScan) {
        this.pagemap = new Pagemap(pid);
        this.scan = pagemapScan ? new PagemapScan(pid) : null;
    }

    public BitSet of(Kind kind, MapsEntry e) {
        long t0 = System.nanoTime();
        try {
            return find(kind, e);
        } finally {
            nanos += System.nanoTime() - t0;
        }
    }

    /** Time spent walking page tables so far, for freeze reports. */
    public long nanos() {
        return nanos;
    }

    private BitSet find(Kind kind, MapsEntry e) {
        int pages = (int) (e.length() / Pagemap.PAGE);
        BitSet kept = new BitSet(pages);
        if (scan == null) {
            long[] pm = pagemap.entries(e.start(), e.end());
            for (int p = 0; p < pm.length; p++) {
                if (MemoryCapture.keep(kind, pm[p])) {
                    kept.set(p);
                }
            }
            return kept;
        }
        boolean file = kind == Kind.FILE_PRIVATE;
        for (PageRegion r : scan.resident(e.start(), e.end(), file)) {
            int from = (int) ((r.start() - e.start()) / Pagemap.PAGE);
            int to = (int) ((r.end() - e.start()) / Pagemap.PAGE);
            if (r.has(PagemapScan.PAGE_IS_PRESENT)) {
                if (!file || !r.has(PagemapScan.PAGE_IS_FILE)) {
                    kept.set(from, to);
                }
            } else if (r.has(PagemapScan.PAGE_IS_WRITTEN)) { // a swap entry without write-protect: data
                if (!file || !r.has(PagemapScan.PAGE_IS_FILE)) {
                    kept.set(from, to);
                }
            } else {
                long[] pm = pagemap.entries(r.start(), r.end());
                for (int p = 0; p < pm.length; p++) {
                    if (MemoryCapture.keep(kind, pm[p])) {
                        kept.set(from + p);
                    }
                }
            }
        }
        return kept;
    }

    /** A swapped pagemap entry that is only a marker (no page behind it). */
    static boolean isMarker(long entry) {
        return (entry & Pagemap.SWAPPED) != 0 && (entry & 0x1f) == MARKER_SWAP_TYPE;
    }

    @Override
    public void close() {
        pagemap.close();
        if (scan != null) {
            scan.close();
        }
    }
}
