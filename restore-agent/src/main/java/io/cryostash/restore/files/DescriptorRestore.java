// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.store.FileRef;

/**
 * Every descriptor of the image, each by the restorer of its kind, in an order that lets later
 * kinds rely on earlier ones:
 * <ol>
 * <li>files opened by path, then the kinds made in bulk ({@link BatchedFdRestorer}: pipes, TCP and
 *     UDP sockets, eventfds, timerfds, signalfds), all in one {@link DescriptorBatch}, then every other kind that
 *     stands on its own, in the order the registry lists them;</li>
 * <li>duplicates, from their originals (dup3), so they share offset and flags as before;</li>
 * <li>epoll sets last but locks: their registrations name other descriptors, duplicates
 *     included, which must exist;</li>
 * <li>locks, once every file is open.</li>
 * </ol>
 * Redirected standard streams are bound earlier ({@link FileRestore#openRedirected}), before the
 * file-system ids drop, and descriptors given up at capture stay closed.
 */
public final class DescriptorRestore {
    /** Kinds restored after duplicates exist, in this order. */
    private static final List<FdEntry.Kind> LATE = List.of(FdEntry.Kind.EPOLL);

    private final Map<FdEntry.Kind, FdRestorer> restorers = new LinkedHashMap<>();
    private final List<LockRestorer> lockRestorers;

    public DescriptorRestore(List<FdRestorer> kinds, List<LockRestorer> locks) {
        kinds.forEach(r -> restorers.put(r.kind(), r));
        this.lockRestorers = List.copyOf(locks);
    }

    /**
     * Refuses, before anything is started, an image holding a descriptor this restore cannot
     * rebuild: an unknown kind, or one that older images recorded as merely unreopenable on a
     * number other than a standard stream.
     */
    public void check(String imageId, List<FdEntry> fds) {
        List<String> problems = new ArrayList<>();
        for (FdEntry f : fds) {
            if (f.kind() == FdEntry.Kind.UNREOPENABLE && f.fd() > 2) {
                problems.add("fd " + f.fd() + " (" + f.target() + "): recorded by an older Cryostash that could not"
                        + " save it; restoring would put /dev/null or a log in its place");
            } else if (f.dupOf() == null && !f.reopenable() && !f.redirected() && f.kind() != FdEntry.Kind.CLOSED
                    && !restorers.containsKey(f.kind())) {
                problems.add("fd " + f.fd() + " (" + f.target() + "): a descriptor of kind " + f.kind()
                        + " this agent cannot restore");
            }
        }
        if (!problems.isEmpty()) {
            throw new RestoreException("image " + imageId + " cannot be restored here:\n  "
                    + String.join("\n  ", problems));
        }
    }

    /**
     * Without a terminal to restore onto, terminal descriptors cannot come back as terminals:
     * standard streams are redirected (to /dev/null or the log, as the capture's notes said), any
     * other terminal descriptor (a program's /dev/tty) makes the restore refuse, naming it.
     */
    public static List<FdEntry> withoutTerminal(String imageId, List<FdEntry> fds) {
        List<FdEntry> out = new ArrayList<>(fds.size());
        List<String> refused = new ArrayList<>();
        for (FdEntry f : fds) {
            if (f.kind() != FdEntry.Kind.TERMINAL) {
                out.add(f);
            } else if (f.fd() <= 2) {
                out.add(f.givenUp(FdEntry.Kind.REDIRECTED));
            } else {
                refused.add("fd " + f.fd() + " (" + f.target() + ")");
            }
        }
        if (!refused.isEmpty()) {
            throw new RestoreException("image " + imageId + " uses a terminal beyond its standard streams ("
                    + String.join(", ", refused) + "): restore it onto a terminal with --tty <path> (e.g. a tmux"
                    + " pane's, from tmux display -p '#{pane_tty}')");
        }
        return out;
    }

    /** Recreates every descriptor that is not redirected or given up. */
    public void restore(RemoteSyscalls remote, ProcessMemory mem, long scratch, List<FdEntry> fds,
                        Function<FileRef, Path> contents, boolean closeTcpConnections, Path tty) {
        restore(remote, mem, scratch, fds, contents, closeTcpConnections, tty, null);
    }

    /**
     * @param tree for a process of a tree, what earlier processes made: descriptors that are one
     *             open file description with an earlier process's are taken from it first, and
     *             rebuilt by no restorer; null for a process alone
     */
    public void restore(RemoteSyscalls remote, ProcessMemory mem, long scratch, List<FdEntry> all,
                        Function<FileRef, Path> contents, boolean closeTcpConnections, Path tty, TreeFds tree) {
        int parkBase = all.stream().mapToInt(FdEntry::fd).max().orElse(2) + 1;
        try (FdRestoreContext ctx = new FdRestoreContext(remote, mem, scratch, parkBase, contents,
                closeTcpConnections, tty, tree)) {
            raiseNofile(ctx, parkBase + 64);
            List<FdEntry> fds = all;
            if (tree != null && !tree.sharedFds().isEmpty()) {
                java.util.Set<Integer> taken = new java.util.HashSet<>();
                for (io.cryostash.schema.image.TreeMember.SharedFd s : tree.sharedFds()) {
                    FdEntry e = all.stream().filter(f -> f.fd() == s.fd()).findFirst().orElseThrow();
                    ctx.install(ctx.takeFrom(s.fromPid(), s.fromFd(), e), e);
                    taken.add(s.fd());
                }
                // taken whole: the description, its offset, flags and locks are the earlier process's
                fds = all.stream().filter(f -> !taken.contains(f.fd())).toList();
            }
            new FileRestore(remote, mem, scratch).openFiles(fds);
            // every kind made in bulk first: one batch of remote calls for all of them, in number order
            DescriptorBatch batch = ctx.newBatch();
            Map<BatchedFdRestorer, List<FdEntry>> batched = new LinkedHashMap<>();
            for (FdRestorer r : restorers.values()) {
                List<FdEntry> mine = LATE.contains(r.kind()) ? List.of() : ofKind(r, fds);
                if (r instanceof BatchedFdRestorer b && !mine.isEmpty()) {
                    b.create(ctx, mine, batch);
                    batched.put(b, mine);
                }
            }
            batch.run();
            batched.forEach((r, mine) -> r.finish(ctx, mine));
            for (FdRestorer r : restorers.values()) {
                if (!LATE.contains(r.kind()) && !(r instanceof BatchedFdRestorer)) {
                    restoreKind(ctx, r, fds);
                }
            }
            for (FdEntry f : fds) {
                if (f.dupOf() != null) {
                    ctx.install(dup(ctx, f), f);
                }
            }
            for (FdEntry.Kind k : LATE) {
                FdRestorer r = restorers.get(k);
                if (r != null) {
                    restoreKind(ctx, r, fds);
                }
            }
            for (LockRestorer l : lockRestorers) {
                l.restore(ctx, fds);
            }
        }
    }

    /**
     * Descriptor numbers above the soft RLIMIT_NOFILE cannot be made: raise it (up to the hard
     * limit) for the numbers the image needs; the image's own limits are set later anyway.
     */
    private static void raiseNofile(FdRestoreContext ctx, long needed) {
        final int rlimitNofile = 7;
        ctx.remote().call("prlimit64(NOFILE)", SyscallNumbers.PRLIMIT64, 0, rlimitNofile, 0, ctx.scratch());
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(ctx.memory().read(ctx.scratch(), 16))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long soft = b.getLong(0);
        long hard = b.getLong(8);
        if (soft >= 0 && soft < needed) {
            if (hard >= 0 && hard < needed) {
                throw new RestoreException("the image needs descriptor numbers up to " + needed + " and this host's"
                        + " hard RLIMIT_NOFILE for the restore is " + hard);
            }
            b.putLong(0, needed);
            ctx.memory().write(ctx.scratch(), b.array());
            ctx.remote().call("prlimit64(NOFILE, " + needed + ")", SyscallNumbers.PRLIMIT64, 0, rlimitNofile,
                    ctx.scratch(), 0);
        }
    }

    private static long dup(FdRestoreContext ctx, FdEntry f) {
        return ctx.check(f, "dup of descriptor " + f.dupOf(), ctx.remote().raw(SyscallNumbers.FCNTL, f.dupOf(),
                FdRestoreContext.F_DUPFD, ctx.parkBase()));
    }

    private static void restoreKind(FdRestoreContext ctx, FdRestorer r, List<FdEntry> fds) {
        List<FdEntry> mine = ofKind(r, fds);
        if (!mine.isEmpty()) {
            r.restore(ctx, mine);
        }
    }

    private static List<FdEntry> ofKind(FdRestorer r, List<FdEntry> fds) {
        List<FdEntry> mine = new ArrayList<>();
        for (FdEntry f : fds) {
            if (f.kind() == r.kind() && f.dupOf() == null) {
                mine.add(f);
            }
        }
        return mine;
    }
}
