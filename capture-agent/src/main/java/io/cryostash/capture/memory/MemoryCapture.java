package io.cryostash.capture.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.ProcessVm;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.Pagemap;
import io.cryostash.agent.store.Hashing;
import io.cryostash.capture.CaptureException;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MemoryArea.Kind;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.agent.store.memory.AreaChunker;

/**
 * Reads a frozen process's memory areas and the pages of them that only the process has:
 * present or swapped anonymous pages, copied-on-write pages of private file mappings, and
 * shared anonymous pages. Clean file pages and never-touched pages are left out.
 */
public final class MemoryCapture {
    private static final int PAGE = Pagemap.PAGE;
    /** Longest run read in one piece: bounds a buffer to one slab. */
    private static final int MAX_RUN_PAGES = PageBuffers.SLAB / PAGE;
    private static final int READ_PIECE = 4 << 20;

    /** What was read: every area with its saved pages, and the vDSO's fingerprint. */
    public record Result(List<CapturedArea> areas, long bytes, String vdsoSha256) {
    }

    private MemoryCapture() {
    }

    /**
     * What an incremental capture knows of an area: its content in the parent image and the
     * pages written since (area-relative page indices). Only chunks with written pages or whose
     * present pages differ from the parent's are read.
     */
    public record AreaPlan(AreaChunks parent, BitSet written, AreaChunker chunker) {
    }

    public static Result capture(int pid, List<MapsEntry> maps, ProcessMemory mem, PageBuffers buffers) {
        return capture(pid, maps, mem, buffers, Map.of());
    }

    /** @param plans incremental plans by area start address; areas without one are read whole */
    public static Result capture(int pid, List<MapsEntry> maps, ProcessMemory mem, PageBuffers buffers,
                                 Map<Long, AreaPlan> plans) {
        List<CapturedArea> areas = new ArrayList<>();
        long offset = 0;
        String vdsoSha = null;
        List<Read> reads = new ArrayList<>();
        try (Pagemap pagemap = new Pagemap(pid)) {
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
                } else if (kind != Kind.VVAR && kind != Kind.FILE_SHARED) {
                    long[] pm = pagemap.entries(e.start(), e.end());
                    present = new BitSet(pm.length);
                    for (int p = 0; p < pm.length; p++) {
                        if (keep(kind, pm[p])) {
                            present.set(p);
                        }
                    }
                    plan = plans.get(e.start());
                    BitSet wanted = present;
                    if (plan != null) {
                        reread = changedPages(plan, present, pm.length);
                        wanted = plan.chunker().pagesToRead(plan.parent(), e.length(),
                                AreaChunker.PagePresence.of(present), AreaChunker.PagePresence.of(reread));
                    }
                    int i = 0;
                    while (i < pm.length) {
                        if (!wanted.get(i)) {
                            i++;
                            continue;
                        }
                        int j = i + 1;
                        while (j < pm.length && j - i < MAX_RUN_PAGES && wanted.get(j)) {
                            j++;
                        }
                        int len = (j - i) * PAGE;
                        ByteBuffer buf = buffers.take(len);
                        long at = e.start() + (long) i * PAGE;
                        boolean readable = e.perms().charAt(0) == 'r';
                        for (int off = 0; off < len; off += READ_PIECE) {
                            reads.add(new Read(at + off, buf.slice(off, Math.min(READ_PIECE, len - off)), readable));
                        }
                        runs.add(new CapturedArea.Run(i, j - i, buf));
                        offset += len;
                        i = j;
                    }
                }
                String path = (kind == Kind.FILE_PRIVATE || kind == Kind.FILE_SHARED || e.path() == null
                        || e.path().startsWith("[")) ? e.path() : null;
                areas.add(new CapturedArea(new MemoryArea(e.start(), e.end(), e.perms(), e.offset(), path, kind, null),
                        runs, plan == null ? null : plan.parent(), present, reread));
            }
        }
        // Copying is the bulk of the freeze: spread it over every core.
        reads.parallelStream().forEach(r -> r.run(pid, mem));
        return new Result(areas, offset, vdsoSha);
    }

    /** One piece of a run to copy: pieces are small enough to keep every core busy. */
    private record Read(long address, ByteBuffer into, boolean readable) {
        void run(int pid, ProcessMemory mem) {
            if (readable) {
                ProcessVm.read(pid, address, into);
            }
            if (into.hasRemaining()) { // unreadable pages: /proc/PID/mem reaches them
                mem.read(address + into.position(), into);
            }
        }
    }

    /**
     * The pages the store must treat as changed: those written since the parent, and every page
     * of a chunk whose present pages are not those the parent stored (a page appeared or went
     * away without a write, e.g. MADV_DONTNEED).
     */
    static BitSet changedPages(AreaPlan plan, BitSet present, int pages) {
        int cp = plan.parent().chunkPages();
        Map<Long, Long> parentBits = new java.util.HashMap<>();
        plan.parent().chunks().forEach(c -> parentBits.put(c.firstPage(), c.presence()));
        BitSet out = (BitSet) plan.written().clone();
        for (int first = 0; first < pages; first += cp) {
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
            case ANONYMOUS, SHARED_ANONYMOUS -> present || swapped;
            case FILE_PRIVATE -> swapped || (present && (entry & Pagemap.FILE_PAGE) == 0);
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
        boolean sharedAnon = p != null && (p.startsWith("/dev/zero") || p.startsWith("/SYSV")
                || p.startsWith("[anon_shmem:"));
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
