// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongUnaryOperator;

import io.cryostash.store.image.PageSource;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.ProcessVm;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.remote.Mman;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.agent.remote.SyscallBatch;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MemoryArea.Kind;
import io.cryostash.schema.image.MemoryArea.Setting;
import io.cryostash.schema.image.ProcessImage;

/**
 * Rebuilds the image's address space inside the husk: clears the husk's own mappings, moves the
 * vDSO where the image had it, recreates every area and writes the saved pages back through
 * /proc/PID/mem (which, like the kernel's FOLL_FORCE, ignores page protections).
 */
public final class MemoryRestore {
    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 02000000;

    private MemoryRestore() {
    }

    /** Unmaps everything of the husk except the restorer's pages and the kernel's special areas. */
    public static void clearHusk(RemoteSyscalls remote, List<MapsEntry> huskMaps, long keepStart, long keepEnd) {
        for (MapsEntry e : huskMaps) {
            if (e.start() == keepStart || isSpecial(e)) {
                continue;
            }
            remote.call("munmap husk area " + Long.toHexString(e.start()), SyscallNumbers.MUNMAP, e.start(),
                    e.length());
        }
    }

    static boolean isSpecial(MapsEntry e) {
        String p = e.path();
        return p != null && (p.equals("[vdso]") || p.startsWith("[vvar") || p.equals("[vsyscall]"));
    }

    /**
     * Moves the husk's vDSO and data pages to the addresses the image expects (glibc caches vDSO
     * entry points, so the restored program needs them exactly there), via a free temporary spot
     * so that old and new places may overlap.
     */
    public static void placeVdso(RemoteSyscalls remote, List<MapsEntry> huskMaps, ProcessImage image,
                                 LongUnaryOperator tempBaseForSize) {
        List<MapsEntry> husk = huskMaps.stream().filter(e -> isSpecial(e) && !"[vsyscall]".equals(e.path())).toList();
        List<MemoryArea> wanted = image.areas().stream().filter(a -> a.kind() == Kind.VDSO || a.kind() == Kind.VVAR)
                .toList();
        if (wanted.isEmpty()) {
            for (MapsEntry e : husk) {
                remote.call("munmap " + e.path(), SyscallNumbers.MUNMAP, e.start(), e.length());
            }
            return;
        }
        Map<String, MapsEntry> byName = new HashMap<>();
        husk.forEach(e -> byName.put(e.path(), e));
        if (husk.size() != wanted.size()) {
            throw new RestoreException("this host's vDSO layout " + names(husk) + " differs from the image's "
                    + wanted.stream().map(MemoryArea::path).toList() + ": the image cannot run here");
        }
        for (MemoryArea a : wanted) {
            MapsEntry e = byName.get(a.path());
            if (e == null || e.length() != a.length()) {
                throw new RestoreException("this host's " + a.path() + " differs in size from the image's: the"
                        + " image was taken on an incompatible kernel");
            }
        }
        long lo = husk.stream().mapToLong(MapsEntry::start).min().orElseThrow();
        long hi = husk.stream().mapToLong(MapsEntry::end).max().orElseThrow();
        long temp = tempBaseForSize.applyAsLong(hi - lo);
        for (MapsEntry e : husk) {
            mremap(remote, e.start(), e.length(), temp + (e.start() - lo), e.path());
        }
        for (MemoryArea a : wanted) {
            MapsEntry e = byName.get(a.path());
            mremap(remote, temp + (e.start() - lo), a.length(), a.start(), a.path());
        }
    }

    private static String names(List<MapsEntry> l) {
        return l.stream().map(MapsEntry::path).toList().toString();
    }

    private static void mremap(RemoteSyscalls remote, long from, long len, long to, String what) {
        long r = remote.call("mremap " + what, SyscallNumbers.MREMAP, from, len, len,
                Mman.MREMAP_MAYMOVE | Mman.MREMAP_FIXED, to);
        if (r != to) {
            throw new RestoreException("mremap of " + what + " went to 0x" + Long.toHexString(r) + " instead of 0x"
                    + Long.toHexString(to));
        }
    }

    /**
     * Creates every area of the image and writes its saved pages.
     *
     * @param pathAt  writes a NUL-terminated path into the tracee and returns its address
     * @param batchAt {@link SyscallBatch#BYTES} of address space free in the husk and in the image
     */
    public static long mapAreas(RemoteSyscalls remote, ProcessMemory mem, ProcessImage image, PageSource pages,
                                java.util.function.Function<String, Long> pathAt, long batchAt, long scratch) {
        return mapAreas(remote, mem, image, pages, pathAt, a -> false, batchAt, scratch);
    }

    /**
     * The same, leaving the pages of the areas {@code deferred} accepts unwritten: restore --lazy
     * maps them empty and fills them through a userfaultfd ({@link LazyMemory}). The mmap of
     * every area runs in one {@link SyscallBatch} (a remote call each was a round trip to the
     * tracer helper and a wake-up of the husk, and every thread brings two areas: its stack and
     * guard page); the files are opened first, one call each. Large private anonymous areas are
     * written through a userfaultfd ({@link FreshFill}).
     *
     * @param scratch 32 bytes of the husk's memory for ioctl arguments
     */
    public static long mapAreas(RemoteSyscalls remote, ProcessMemory mem, ProcessImage image, PageSource pages,
                                java.util.function.Function<String, Long> pathAt,
                                java.util.function.Predicate<MemoryArea> deferred, long batchAt, long scratch) {
        Map<String, Long> fds = new HashMap<>();
        long written = 0;
        try {
            List<MemoryArea> areas = new ArrayList<>();
            List<SyscallBatch.Call> maps = new ArrayList<>();
            for (MemoryArea a : image.areas()) {
                if (a.kind() == Kind.VDSO || a.kind() == Kind.VVAR || a.kind() == Kind.SYSV_SHM) {
                    continue; // placed before; SysV attachments by restore.sysvipc
                }
                int flags = Mman.MAP_FIXED | (a.shared() ? Mman.MAP_SHARED : Mman.MAP_PRIVATE);
                long fd = -1;
                long offset = 0;
                switch (a.kind()) {
                    case ANONYMOUS -> {
                        flags |= Mman.MAP_ANONYMOUS;
                        if ("[stack]".equals(a.path()) || a.has(Setting.GROWSDOWN)) {
                            flags |= Mman.MAP_GROWSDOWN;
                        }
                    }
                    case SHARED_ANONYMOUS -> flags |= Mman.MAP_ANONYMOUS;
                    case FILE_PRIVATE, FILE_SHARED -> {
                        boolean rw = a.kind() == Kind.FILE_SHARED && a.writable();
                        String key = (rw ? "rw:" : "ro:") + a.path();
                        Long open = fds.get(key);
                        if (open == null) {
                            open = remote.call("open " + a.path(), SyscallNumbers.OPEN, pathAt.apply(a.path()),
                                    (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
                            fds.put(key, open);
                        }
                        fd = open;
                        offset = a.fileOffset();
                    }
                    default -> throw new IllegalStateException("unexpected area kind " + a.kind());
                }
                if (a.has(Setting.NORESERVE)) {
                    flags |= Mman.MAP_NORESERVE;
                }
                int prot = Mman.prot(a.perms());
                areas.add(a);
                maps.add(new SyscallBatch.Call(SyscallNumbers.MMAP, a.start(), a.length(),
                        needsWriteWindow(a) ? prot | Mman.PROT_WRITE : prot, flags, fd, offset));
            }
            // advice before the pages are written: a huge-page area then fills with huge pages,
            // as the program's own first touch did
            List<String> adviceOf = new ArrayList<>();
            List<SyscallBatch.Call> calls = new ArrayList<>(maps);
            for (MemoryArea a : areas) {
                for (Setting s : a.settings()) {
                    Integer advice = ADVICE.get(s);
                    if (advice != null) {
                        calls.add(new SyscallBatch.Call(SyscallNumbers.MADVISE, a.start(), a.length(), advice));
                        adviceOf.add("madvise(MADV_" + s + ") of " + describe(a));
                    }
                }
            }
            if (!calls.isEmpty()) {
                try (SyscallBatch batch = new SyscallBatch(remote, mem, batchAt)) {
                    SyscallBatch.Outcome o = batch.run(calls);
                    for (int i = 0; i < areas.size(); i++) {
                        long r = o.results()[i];
                        if (i == o.failed()) {
                            throw new TraceeException(remote.pid(), "mmap " + describe(areas.get(i)),
                                    r == SyscallBatch.NOT_RUN ? 0 : (int) -r);
                        }
                        if (r != areas.get(i).start()) {
                            throw new RestoreException("mmap of " + describe(areas.get(i)) + " landed at 0x"
                                    + Long.toHexString(r));
                        }
                    }
                    if (o.failed() >= areas.size()) {
                        long r = o.results()[o.failed()];
                        throw new TraceeException(remote.pid(), adviceOf.get(o.failed() - areas.size()),
                                r == SyscallBatch.NOT_RUN ? 0 : (int) -r);
                    }
                }
            }
            List<MemoryArea> eager = areas.stream().filter(a -> !deferred.test(a)).toList();
            try (FreshFill fill = FreshFill.open(remote, mem, scratch, eager)) {
                for (MemoryArea a : eager) {
                    written += writePages(remote.pid(), mem, a, pages, fill.covers(a) ? fill : null);
                }
            } // closed before anything else touches the husk's memory: a fault there would wait on it
            for (MemoryArea a : areas) {
                if (needsWriteWindow(a)) {
                    remote.call("mprotect " + describe(a), SyscallNumbers.MPROTECT, a.start(), a.length(),
                            Mman.prot(a.perms()));
                }
                lock(remote, a); // once written: mlock faults in what is not, and those pages stay resident
            }
        } finally {
            for (long fd : fds.values()) {
                remote.raw(SyscallNumbers.CLOSE, fd);
            }
        }
        return written;
    }

    /**
     * An area's advice and lock, one remote call each: for areas mapped elsewhere (SysV
     * attachments), whose pages are in already.
     */
    public static void applySettings(RemoteSyscalls remote, MemoryArea a) {
        for (Setting s : a.settings()) {
            Integer advice = ADVICE.get(s);
            if (advice != null) {
                remote.call("madvise(MADV_" + s + ") of " + describe(a), SyscallNumbers.MADVISE, a.start(),
                        a.length(), advice);
            }
        }
        lock(remote, a);
    }

    private static void lock(RemoteSyscalls remote, MemoryArea a) {
        if (a.has(Setting.LOCKED) || a.has(Setting.LOCKED_ON_FAULT)) {
            remote.call("mlock " + describe(a), SyscallNumbers.MLOCK2, a.start(), a.length(),
                    a.has(Setting.LOCKED_ON_FAULT) ? Mman.MLOCK_ONFAULT : 0);
        }
    }

    /** madvise advice of each setting that has one; the locks and mmap flags are set elsewhere. */
    private static final Map<Setting, Integer> ADVICE = Map.of(
            Setting.HUGEPAGE, Mman.MADV_HUGEPAGE, Setting.NOHUGEPAGE, Mman.MADV_NOHUGEPAGE,
            Setting.DONTFORK, Mman.MADV_DONTFORK, Setting.WIPEONFORK, Mman.MADV_WIPEONFORK,
            Setting.DONTDUMP, Mman.MADV_DONTDUMP, Setting.MERGEABLE, Mman.MADV_MERGEABLE,
            Setting.RANDOM, Mman.MADV_RANDOM, Setting.SEQUENTIAL, Mman.MADV_SEQUENTIAL);

    /** A shared read-only area with saved pages is mapped writable until they are written. */
    private static boolean needsWriteWindow(MemoryArea a) {
        return a.shared() && !a.writable() && a.storedPages() > 0;
    }

    /**
     * Writes an area's saved pages: process_vm_writev from direct buffers where the area is
     * writable (one copy), /proc/PID/mem elsewhere (it ignores protections, at the cost of a
     * bounce page). Sources may call this from several threads.
     */
    private static long writePages(int pid, ProcessMemory mem, MemoryArea a, PageSource pages, FreshFill fill) {
        java.util.concurrent.atomic.LongAdder n = new java.util.concurrent.atomic.LongAdder();
        boolean writable = a.writable();
        pages.forEachRun(a, (firstPage, buf) -> {
            long at = a.start() + firstPage * 4096;
            int len = buf.remaining();
            if (firstPage < 0 || at + len > a.end()) {
                throw new RestoreException("saved pages run past the end of area " + describe(a));
            }
            if (fill != null) {
                int base = buf.position();
                while (buf.hasRemaining()) { // a heap buffer through this thread's direct one
                    int piece = buf.isDirect() ? buf.remaining() : Math.min(buf.remaining(), BOUNCE_MAX);
                    ByteBuffer direct = buf.isDirect() ? buf
                            : bounce(piece).put(buf.duplicate().limit(buf.position() + piece)).flip();
                    fill.copy(at + (buf.position() - base), direct);
                    buf.position(buf.position() + piece);
                }
            } else if (writable && buf.isDirect()) {
                ProcessVm.write(pid, at, buf);
            } else if (writable) {
                // one copy into memory of this thread's and one by the kernel: /proc/PID/mem would
                // copy a heap buffer into a temporary one and again through a bounce page
                while (buf.hasRemaining()) {
                    int piece = Math.min(buf.remaining(), BOUNCE_MAX);
                    ByteBuffer direct = bounce(piece);
                    direct.put(buf.duplicate().limit(buf.position() + piece)).flip();
                    long done = ProcessVm.write(pid, at + buf.position(), direct);
                    buf.position(buf.position() + (int) done);
                    if (done < piece) {
                        break; // a page not writable after all: /proc/PID/mem below
                    }
                }
            }
            if (buf.hasRemaining()) {
                mem.write(at + buf.position(), buf);
            }
            n.add(len);
        });
        return n.sum();
    }

    /** Each writing thread's direct buffer for pages that come in heap memory, grown to the longest run. */
    private static final ThreadLocal<ByteBuffer> BOUNCE = new ThreadLocal<>();

    /** The most a writing thread keeps for that: longer runs go through it in pieces. */
    private static final int BOUNCE_MAX = 4 << 20;

    private static ByteBuffer bounce(int len) {
        ByteBuffer b = BOUNCE.get();
        if (b == null || b.capacity() < len) {
            b = ByteBuffer.allocateDirect(Math.max(len, 256 << 10));
            BOUNCE.set(b);
        }
        return b.clear().limit(len);
    }

    static String describe(MemoryArea a) {
        return "0x" + Long.toHexString(a.start()) + "-0x" + Long.toHexString(a.end()) + " " + a.perms()
                + (a.path() != null ? " " + a.path() : "");
    }
}
