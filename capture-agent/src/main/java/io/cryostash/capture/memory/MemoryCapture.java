// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.Pagemap;
import io.cryostash.store.Hashing;
import io.cryostash.capture.CaptureException;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MemoryArea.Kind;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.store.memory.AreaChunker;

/**
 * Reads a frozen process's memory areas and the pages of them that only the process has:
 * present or swapped anonymous pages, copied-on-write pages of private file mappings, and
 * shared anonymous pages. Clean file pages and never-touched pages are left out.
 */
public final class MemoryCapture {
    private static final int PAGE = Pagemap.PAGE;
    /** Longest run read in one piece: bounds a buffer to one slab. */
    private static final int MAX_RUN_PAGES = PageBuffers.MAX_RUN / PAGE;
    private static final int READ_PIECE = 4 << 20;

    /** What was read: every area with its saved pages, and the vDSO's fingerprint. */
    public record Result(List<CapturedArea> areas, long bytes, String vdsoSha256) {
        public Result withAreas(List<CapturedArea> newAreas) {
            return new Result(newAreas, bytes, vdsoSha256);
        }
    }

    private MemoryCapture() {
    }

    /**
     * What an incremental capture knows of an area: its content in the parent image and the
     * pages written since (area-relative page indices). Only chunks with written pages or whose
     * present pages differ from the parent's are read.
     *
     * @param early pages a pre-copy pass already copied while the process ran, or null
     * @param fresh pages written since that pass (to copy again); empty without one
     */
    public record AreaPlan(AreaChunks parent, BitSet written, AreaChunker chunker, PreCopiedArea early, BitSet fresh) {
        public AreaPlan(AreaChunks parent, BitSet written, AreaChunker chunker) {
            this(parent, written, chunker, null, new BitSet());
        }
    }

    /**
     * Pages of an area copied while the process still ran, and the written pages that made them
     * worth copying (taken from the tracker: the freeze must add them to what it finds).
     */
    public record PreCopiedArea(long start, long end, BitSet written, BitSet present, BitSet changed, BitSet pages,
                                List<CapturedArea.Run> runs) {
    }

    /**
     * The pass's decisions (changed pages, pages to read) with only the chunks re-decided that
     * were written since the pass or whose present pages changed since: deciding all 16,384
     * chunks of 1 GiB again would cost the freeze tens of milliseconds.
     *
     * @return {changed, wanted}
     */
    static BitSet[] redecide(AreaPlan plan, BitSet present, long length) {
        PreCopiedArea pass = plan.early();
        int cp = plan.parent().chunkPages();
        BitSet moved = (BitSet) pass.present().clone();
        moved.xor(present);
        moved.or(plan.fresh());
        BitSet chunks = new BitSet();
        for (int p = moved.nextSetBit(0); p >= 0; p = moved.nextSetBit((p / cp + 1) * cp)) {
            chunks.set(p / cp);
        }
        BitSet changed = (BitSet) pass.changed().clone();
        BitSet wanted = (BitSet) pass.pages().clone();
        if (chunks.isEmpty()) {
            return new BitSet[] {changed, wanted};
        }
        BitSet redone = changedPages(plan, present, (int) (length / PAGE), chunks);
        for (int c = chunks.nextSetBit(0); c >= 0; c = chunks.nextSetBit(c + 1)) {
            changed.clear(c * cp, (c + 1) * cp);
            wanted.clear(c * cp, (c + 1) * cp);
        }
        changed.or(redone);
        wanted.or(plan.chunker().pagesToRead(plan.parent(), length, AreaChunker.PagePresence.of(present),
                AreaChunker.PagePresence.of(changed), chunks));
        return new BitSet[] {changed, wanted};
    }

    public static Result capture(int pid, List<MapsEntry> maps, ProcessMemory mem, PageBuffers buffers) {
        try (ResidentPages resident = new ResidentPages(pid, false)) {
            return capture(pid, maps, mem, buffers, Map.of(), resident);
        }
    }

    /** @param plans incremental plans by area start address; areas without one are read whole */
    public static Result capture(int pid, List<MapsEntry> maps, ProcessMemory mem, PageBuffers buffers,
                                 Map<Long, AreaPlan> plans, ResidentPages resident) {
        List<CapturedArea> areas = new ArrayList<>();
        String vdsoSha = null;
        PageCopier copier = new PageCopier();
        for (MapsEntry e : maps) {
            Kind kind = classify(pid, e);
            if (kind == null) {
                continue;
            }
            List<CapturedArea.Run> runs = new ArrayList<>();
            BitSet present = new BitSet();
            BitSet reread = null;
            AreaPlan plan = null;
            if (kind == Kind.VDSO) {
                vdsoSha = Hashing.hex(Hashing.sha256(mem.read(e.start(), (int) e.length())));
            } else if (kind != Kind.VVAR && kind != Kind.FILE_SHARED && kind != Kind.SYSV_SHM) {
                int pages = (int) (e.length() / PAGE);
                present = resident.of(kind, e);
                plan = plans.get(e.start());
                BitSet wanted = present;
                if (plan != null && plan.early() != null) {
                    BitSet[] decided = redecide(plan, present, e.length());
                    reread = decided[0];
                    wanted = decided[1];
                } else if (plan != null) {
                    reread = changedPages(plan, present, pages, null);
                    wanted = plan.chunker().pagesToRead(plan.parent(), e.length(),
                            AreaChunker.PagePresence.of(present), AreaChunker.PagePresence.of(reread));
                }
                BitSet toRead = wanted;
                if (plan != null && plan.early() != null) {
                    // pre-copied pages not written since the pass are as it copied them
                    BitSet reuse = (BitSet) wanted.clone();
                    reuse.and(plan.early().pages());
                    reuse.andNot(plan.fresh());
                    toRead = (BitSet) wanted.clone();
                    toRead.andNot(reuse);
                    runs.addAll(slices(plan.early().runs(), reuse));
                }
                runs.addAll(queue(e, toRead, buffers, copier));
                runs.sort(Comparator.comparingLong(CapturedArea.Run::firstPage));
            }
            String path = (kind == Kind.FILE_PRIVATE || kind == Kind.FILE_SHARED || e.path() == null
                    || e.path().startsWith("[")) ? e.path() : null;
            if (kind == Kind.SYSV_SHM) { // "/SYSV0000002a (deleted)": the key, without the kernel's suffix
                path = e.path().split(" ", 2)[0];
            }
            areas.add(new CapturedArea(new MemoryArea(e.start(), e.end(), e.perms(), e.offset(), path, kind, null,
                    java.util.Set.of()), // settings: AreaSettings.apply, from the freeze's smaps
                    runs, plan == null ? null : plan.parent(), present, reread));
        }
        copier.copy(pid, mem);
        return new Result(areas, copier.bytes(), vdsoSha);
    }

    /** Buffers for the runs of {@code pages}, queued on the copier; the runs hold data once it copied. */
    static List<CapturedArea.Run> queue(MapsEntry e, BitSet pages, PageBuffers buffers, PageCopier copier) {
        List<CapturedArea.Run> runs = new ArrayList<>();
        boolean readable = e.perms().charAt(0) == 'r';
        int n = (int) (e.length() / PAGE);
        for (int i = pages.nextSetBit(0); i >= 0 && i < n; i = pages.nextSetBit(i)) {
            int j = i + 1;
            // runs end at whole MiB of the area too: chunks (up to 64 pages) stay within one run,
            // and a slab ends with at most one run's worth unused (PageBuffers sizes for that)
            while (j < n && j % MAX_RUN_PAGES != 0 && pages.get(j)) {
                j++;
            }
            int len = (j - i) * PAGE;
            ByteBuffer buf = buffers.take(len);
            long at = e.start() + (long) i * PAGE;
            for (int off = 0; off < len; off += READ_PIECE) {
                copier.add(at + off, buf.slice(off, Math.min(READ_PIECE, len - off)), readable);
            }
            runs.add(new CapturedArea.Run(i, j - i, buf));
            i = j;
        }
        return runs;
    }

    /** The parts of {@code runs} holding {@code pages}, as runs of their own sharing the bytes. */
    static List<CapturedArea.Run> slices(List<CapturedArea.Run> runs, BitSet pages) {
        List<CapturedArea.Run> out = new ArrayList<>();
        for (CapturedArea.Run r : runs) {
            int first = (int) r.firstPage();
            int end = first + r.count();
            for (int i = pages.nextSetBit(first); i >= 0 && i < end; i = pages.nextSetBit(i)) {
                int j = Math.min(pages.nextClearBit(i), end);
                out.add(new CapturedArea.Run(i, j - i, r.data().slice((i - first) * PAGE, (j - i) * PAGE)));
                i = j;
            }
        }
        return out;
    }

    /**
     * The pages the store must treat as changed: those written since the parent, and every page
     * of a chunk whose present pages are not those the parent stored (a page appeared or went
     * away without a write, e.g. MADV_DONTNEED).
     */
    static BitSet changedPages(AreaPlan plan, BitSet present, int pages, BitSet onlyChunks) {
        int cp = plan.parent().chunkPages();
        Map<Long, Long> parentBits = new java.util.HashMap<>();
        plan.parent().chunks().forEach(c -> {
            if (onlyChunks == null || onlyChunks.get((int) (c.firstPage() / cp))) {
                parentBits.put(c.firstPage(), c.presence());
            }
        });
        BitSet out = (BitSet) plan.written().clone();
        if (onlyChunks != null) { // only the chunks asked about
            BitSet mask = new BitSet(pages);
            onlyChunks.stream().forEach(c -> mask.set(c * cp, Math.min(pages, (c + 1) * cp)));
            out.and(mask);
        }
        for (int first = 0; first < pages; first += cp) {
            if (onlyChunks != null && !onlyChunks.get(first / cp)) {
                continue;
            }
            int end = Math.min(pages, first + cp);
            long bits = 0;
            for (int i = first; i < end; i++) {
                if (present.get(i)) {
                    bits |= 1L << (i - first);
                }
            }
            if (bits != parentBits.getOrDefault((long) first, 0L)) {
                out.set(first, end);
            }
        }
        return out;
    }

    static boolean keep(Kind kind, long entry) {
        boolean present = (entry & Pagemap.PRESENT) != 0;
        boolean swapped = (entry & Pagemap.SWAPPED) != 0;
        return switch (kind) {
            case ANONYMOUS, SHARED_ANONYMOUS -> present || (swapped && !ResidentPages.isMarker(entry));
            case FILE_PRIVATE -> (swapped && !ResidentPages.isMarker(entry) && (entry & Pagemap.FILE_PAGE) == 0)
                    || (present && (entry & Pagemap.FILE_PAGE) == 0);
            default -> false;
        };
    }

    static Kind classify(int pid, MapsEntry e) {
        String p = e.path();
        if ("[vsyscall]".equals(p)) {
            return null; // fixed by the kernel in every process; nothing to save
        }
        if ("[vdso]".equals(p)) {
            return Kind.VDSO;
        }
        if (p != null && p.startsWith("[vvar")) {
            return Kind.VVAR;
        }
        if (p != null && p.startsWith("/SYSV")) {
            return Kind.SYSV_SHM; // its bytes are the segment's, read whole by the SysV IPC capture
        }
        boolean sharedAnon = p != null && (p.startsWith("/dev/zero") || p.startsWith("[anon_shmem:"));
        if (e.shared() && (p == null || sharedAnon)) {
            return Kind.SHARED_ANONYMOUS;
        }
        if (p != null && p.startsWith("/")) {
            if (e.isDeleted() || e.inode() == 0) {
                throw new CaptureException("pid " + pid + " maps " + p + " at 0x" + Long.toHexString(e.start())
                        + ": mappings of deleted or memory-only files are not supported yet");
            }
            return e.shared() ? Kind.FILE_SHARED : Kind.FILE_PRIVATE;
        }
        if (p != null && !p.equals("[heap]") && !p.equals("[stack]") && !p.startsWith("[anon:")) {
            throw new CaptureException("pid " + pid + " has a special mapping " + p + " at 0x"
                    + Long.toHexString(e.start()) + " that Cryostash cannot save");
        }
        return Kind.ANONYMOUS;
    }

}
