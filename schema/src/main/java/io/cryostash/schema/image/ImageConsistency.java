// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The checks that make a manifest agree with itself and with what the kernel can hold, beyond
 * its shape ({@link ImageCodec#validate}). A signed manifest is trusted to come from a capturing
 * host, not to be right: a bug there, or a key in the wrong hands, must make restore refuse
 * with a message, never build a process that fails later (an area without its pages, a handler
 * nobody can install, root kept because an id read as "unchanged").
 *
 * <p>Every rule holds for any image a capture writes; the comment on each says why a capture
 * never breaks it.
 */
final class ImageConsistency {
    static final long TASK_SIZE = 0x00007ffffffff000L;
    static final int SIGKILL = 9;
    static final int SIGSTOP = 19;
    static final int NSIG = 64;
    /** RLIM_NLIMITS on Linux: resources are 0..15. */
    static final int RLIM_NLIMITS = 16;
    /** SA_RESTORER: the restorer field is the address signal handlers return through. */
    static final long SA_RESTORER = 0x04000000L;
    /** The id setres[ug]id reads as "leave unchanged": restored as such, root would stay root. */
    static final int NO_ID = -1;
    /** NGROUPS_MAX. */
    static final int MAX_GROUPS = 65536;
    /** The largest XSAVE area the kernel reports (Ptrace reads at most this much). */
    static final int MAX_XSTATE = 16384;
    /** sizeof(struct robust_list_head): set_robust_list refuses any other length. */
    static final long ROBUST_LIST_HEAD_SIZE = 24;
    /** personality(0xffffffff) only queries: it cannot be a process's persona. */
    static final long PERSONALITY_QUERY = 0xffffffffL;

    private ImageConsistency() {
    }

    /** Run after {@link #sections} and the codec's shape checks. */
    static void check(ProcessImage image) {
        areas(image);
        files(image);
        threads(image);
        signals(image);
        rlimits(image.rlimits());
        credentials(image.credentials());
        descriptors(image.fds());
        mm(image.mm());
        require(image.fs().umask() >= 0 && image.fs().umask() <= 0777, "umask " + image.fs().umask()
                + " is not a permission mask");
        require(image.process().pid() > 0, "process id " + image.process().pid() + " is not a pid");
        require(image.process().comm() != null && image.process().cmdline() != null, "process name or command line missing");
        require(image.process().personality() >= 0 && image.process().personality() < PERSONALITY_QUERY,
                "personality 0x" + Long.toHexString(image.process().personality()) + " is not one");
    }

    /** Capture always writes every section, possibly empty: a missing one is a damaged manifest. */
    static void sections(ProcessImage image) {
        require(image.credentials() != null, "credentials section missing");
        require(image.fs() != null, "fs section missing (working directory, root, umask)");
        require(image.fds() != null, "fds section missing");
        require(image.signalActions() != null, "signalActions section missing");
        require(image.rlimits() != null, "rlimits section missing");
        require(image.files() != null, "files section missing");
        require(image.threads().stream().noneMatch(Objects::isNull), "null thread");
        require(image.fds().stream().noneMatch(Objects::isNull), "null descriptor entry");
        require(image.signalActions().stream().noneMatch(Objects::isNull), "null signal action");
        require(image.rlimits().stream().noneMatch(Objects::isNull), "null resource limit");
        require(image.credentials().groups() != null, "supplementary groups missing");
    }

    /**
     * Kind, path, sharing and stored pages agree: capture takes the kind from the path and the
     * 'p'/'s' flag of /proc/PID/maps, stores no page of shared file mappings or the vDSO, and
     * keeps a path for anonymous memory only when it is a bracketed name such as [heap]. A file
     * area relabelled as anonymous would come back as zeros where the file's pages were.
     */
    private static void areas(ProcessImage image) {
        int vdsos = 0;
        for (MemoryArea a : image.areas()) {
            String at = "area at 0x" + Long.toHexString(a.start());
            boolean shared = a.perms().charAt(3) == 's';
            switch (a.kind()) {
                case ANONYMOUS, SHARED_ANONYMOUS -> {
                    require(a.path() == null || (a.path().startsWith("[") && a.path().endsWith("]")
                            && !a.path().startsWith("[vdso") && !a.path().startsWith("[vvar")),
                            at + " is anonymous but names " + a.path());
                    require(shared == (a.kind() == MemoryArea.Kind.SHARED_ANONYMOUS),
                            at + " is " + a.kind() + " with permissions " + a.perms());
                }
                case FILE_PRIVATE, FILE_SHARED -> {
                    require(shared == (a.kind() == MemoryArea.Kind.FILE_SHARED),
                            at + " is " + a.kind() + " with permissions " + a.perms());
                    require(a.fileOffset() >= 0 && (a.fileOffset() & 0xfff) == 0,
                            at + " maps " + a.path() + " at the unaligned offset " + a.fileOffset());
                    require(a.kind() == MemoryArea.Kind.FILE_PRIVATE || a.content() == null,
                            at + " shares " + a.path() + " but carries stored pages (they come from the file)");
                }
                case VDSO, VVAR -> {
                    boolean vdso = a.kind() == MemoryArea.Kind.VDSO;
                    require(vdso ? "[vdso]".equals(a.path()) : a.path() != null && a.path().startsWith("[vvar"),
                            at + " is " + a.kind() + " but named " + a.path());
                    require(!shared && a.content() == null, at + " is the kernel's " + a.path()
                            + ": it is placed, never stored");
                    vdsos += vdso ? 1 : 0;
                }
                case SYSV_SHM -> { // pages are the segment's, kept in sysvIpc
                    require(a.path() != null && a.path().startsWith("/SYSV"), at + " is a SysV attachment named " + a.path());
                    require(a.content() == null, at + " is a SysV attachment but carries stored pages (they are the"
                            + " segment's)");
                }
                default -> throw new InvalidImageException(at + " has an unknown kind");
            }
        }
        require(vdsos <= 1, vdsos + " vDSO areas");
        if (vdsos == 1) { // without the fingerprint restore could not refuse a host whose vDSO differs
            require(image.host() != null && image.host().vdsoSha256() != null
                    && image.host().vdsoSha256().matches("[0-9a-f]{64}"), "the image has a vDSO but no fingerprint of it");
        }
    }

    /**
     * Every mapped file is fingerprinted (restore checks or replaces exactly those) and every
     * fingerprint but the executable's is of a mapped file: capture builds the list from the
     * exe and the file areas, so a file nobody maps means an area lost its file.
     */
    private static void files(ProcessImage image) {
        Set<String> fingerprinted = new HashSet<>();
        for (FileFingerprint f : image.files()) {
            require(fingerprinted.add(f.path()), "file " + f.path() + " is listed twice");
            require(f.size() >= 0, "file " + f.path() + " has size " + f.size());
            require(f.content() == null || f.content().size() >= 0, "file " + f.path() + " has a bad stored copy");
        }
        Set<String> mapped = new HashSet<>();
        for (MemoryArea a : image.areas()) {
            if (a.kind() == MemoryArea.Kind.FILE_PRIVATE || a.kind() == MemoryArea.Kind.FILE_SHARED) {
                require(fingerprinted.contains(a.path()), "area at 0x" + Long.toHexString(a.start()) + " maps "
                        + a.path() + ", which the image has no fingerprint of");
                mapped.add(a.path());
            }
        }
        String exe = image.mm().exePath();
        require(exe == null || fingerprinted.contains(exe), "executable " + exe + " has no fingerprint");
        for (String f : fingerprinted) {
            require(f.equals(exe) || mapped.contains(f), "file " + f + " is fingerprinted but no area maps it"
                    + " (an area that mapped it was changed)");
        }
    }

    /**
     * Capture reads every thread's registers at a stop in user space or in a system call, so rip
     * points into code the process can execute; a value elsewhere would crash it on the first
     * instruction.
     */
    private static void threads(ProcessImage image) {
        // ids, their uniqueness and the presence of registers are ImageCodec's (validateThreads)
        for (ThreadState t : image.threads()) {
            String who = "thread " + t.tid();
            require(t.xstate().length > 0 && t.xstate().length <= MAX_XSTATE,
                    who + " has no valid FPU/vector state");
            require(image.host() == null || image.host().xstateSize() <= 0
                    || t.xstate().length == image.host().xstateSize(),
                    who + "'s FPU/vector state is " + t.xstate().length + " bytes, the host said "
                            + image.host().xstateSize());
            // a thread stopped after a system call at the very end of its code area points just past it
            require(inArea(image, t.regs().rip(), 'x') || inArea(image, t.regs().rip() - 1, 'x'), who + "'s instruction pointer 0x"
                    + Long.toHexString(t.regs().rip()) + " is in no executable area");
            require((t.blockedSignals() & (bit(SIGKILL) | bit(SIGSTOP))) == 0,
                    who + " blocks SIGKILL or SIGSTOP, which no process can");
            if (t.rseq() != null) {
                require(t.rseq().length() >= 32 && (t.rseq().address() & 31) == 0
                        && inArea(image, t.rseq().address(), 'w'), who + "'s rseq area 0x"
                        + Long.toHexString(t.rseq().address()) + " is not a writable, aligned rseq area");
            }
            require(t.robustListHead() == 0 || t.robustListLength() == ROBUST_LIST_HEAD_SIZE,
                    who + "'s robust list length " + t.robustListLength() + " is not the kernel's");
        }
    }

    /**
     * Capture never asks for SIGKILL's and SIGSTOP's actions (they cannot be changed) and asks
     * once per signal; installed handlers and restorers were code the process could run.
     */
    private static void signals(ProcessImage image) {
        Set<Integer> seen = new HashSet<>();
        for (SignalAction s : image.signalActions()) {
            require(s.signal() >= 1 && s.signal() <= NSIG, "signal " + s.signal() + " does not exist");
            require(s.signal() != SIGKILL && s.signal() != SIGSTOP, "an action for signal " + s.signal()
                    + " (SIGKILL and SIGSTOP cannot be caught or ignored)");
            require(seen.add(s.signal()), "two actions for signal " + s.signal());
            if (s.handler() != 0 && s.handler() != 1) {
                require(inArea(image, s.handler(), 'x'), "the handler of signal " + s.signal() + " at 0x"
                        + Long.toHexString(s.handler()) + " is in no executable area");
            }
            if ((s.flags() & SA_RESTORER) != 0) {
                require(inArea(image, s.restorer(), 'x'), "the restorer of signal " + s.signal() + " at 0x"
                        + Long.toHexString(s.restorer()) + " is in no executable area");
            }
        }
    }

    /** /proc/PID/limits shows each resource once, and a value or "unlimited" (-1); soft never above hard. */
    private static void rlimits(List<Rlimit> limits) {
        Set<Integer> seen = new HashSet<>();
        for (Rlimit l : limits) {
            require(l.resource() >= 0 && l.resource() < RLIM_NLIMITS, "resource limit " + l.resource() + " does not exist");
            require(seen.add(l.resource()), "two limits for resource " + l.resource());
            require(l.soft() >= -1 && l.hard() >= -1, "limit " + l.name() + " is negative (" + l.soft() + "/"
                    + l.hard() + "); only -1 means unlimited");
            require(Long.compareUnsigned(l.soft(), l.hard()) <= 0, "limit " + l.name() + " has soft " + l.soft()
                    + " above hard " + l.hard());
        }
    }

    private static void credentials(Credentials c) {
        int[] ids = {c.uid(), c.euid(), c.suid(), c.fsuid(), c.gid(), c.egid(), c.sgid(), c.fsgid()};
        for (int id : ids) {
            require(id != NO_ID, "a user or group id of -1, which setresuid reads as \"keep the current one\"");
        }
        require(c.groups().size() <= MAX_GROUPS, c.groups().size() + " supplementary groups");
        require(c.groups().stream().noneMatch(g -> g == null || g == NO_ID), "a supplementary group of -1 or null");
    }

    /** Numbers, kinds and duplicates are ImageCodec's (with each kind's record, FdFiles); the position is here. */
    private static void descriptors(List<FdEntry> fds) {
        for (FdEntry f : fds) {
            require(f.position() >= 0, "descriptor " + f.fd() + " has position " + f.position());
        }
    }

    /** The bounds /proc/PID/stat shows are user addresses in order; auxv is whole (type, value) pairs. */
    private static void mm(MmLayout mm) {
        long[][] ranges = {{mm.startCode(), mm.endCode()}, {mm.startData(), mm.endData()}, {mm.startBrk(), mm.brk()},
                {mm.argStart(), mm.argEnd()}, {mm.envStart(), mm.envEnd()}, {mm.startStack(), mm.startStack()}};
        for (long[] r : ranges) {
            require(r[0] >= 0 && r[1] >= r[0] && r[1] <= TASK_SIZE, "memory layout range 0x" + Long.toHexString(r[0])
                    + "-0x" + Long.toHexString(r[1]) + " is impossible");
        }
        require(mm.auxv() != null && mm.auxv().length % 16 == 0 && mm.auxv().length <= 4096,
                "auxiliary vector is not whole (type, value) pairs");
    }

    private static boolean inArea(ProcessImage image, long address, char perm) {
        int index = perm == 'x' ? 2 : perm == 'w' ? 1 : 0;
        for (MemoryArea a : image.areas()) {
            if (Long.compareUnsigned(address, a.start()) >= 0 && Long.compareUnsigned(address, a.end()) < 0) {
                return a.perms().charAt(index) == perm;
            }
        }
        return false;
    }

    private static long bit(int signal) {
        return 1L << (signal - 1);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InvalidImageException(message);
        }
    }
}
