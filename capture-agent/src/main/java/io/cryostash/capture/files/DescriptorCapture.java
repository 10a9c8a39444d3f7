// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import io.cryostash.agent.linux.Kcmp;
import io.cryostash.agent.proc.FdInfo;
import io.cryostash.agent.tracking.WriteTracker;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.FdLosses;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.MemoryFile;
import io.cryostash.schema.store.FileRef;

/**
 * Every descriptor of a process, each by the capturer of its kind. A descriptor no capturer can
 * save makes the whole capture refuse, naming every such descriptor and what it is, unless the
 * user gave it up ({@link FdLosses}); the one default exception is a standard stream (0, 1, 2)
 * on a terminal or on a pipe whose other end is outside the image, which restore binds to the
 * log or /dev/null — and the capture's notes say so.
 */
public final class DescriptorCapture {
    /** The kinds Cryostash saves; a kind missing here is refused ("not supported yet"). */
    private final Map<FdEntry.Kind, FdCapturer> capturers = new EnumMap<>(FdEntry.Kind.class);

    private final LockReader locks;

    private static final int O_ACCMODE = 3;

    /** What descriptors sharing one open file have in common. */
    private record SharingKey(String target, long ino, int accessMode, String eventfdId) {
    }

    public DescriptorCapture(List<FdCapturer> kinds, LockReader locks) {
        this.locks = locks;
        for (FdEntry.Kind k : List.of(FdEntry.Kind.REGULAR, FdEntry.Kind.DIRECTORY, FdEntry.Kind.CHARACTER_DEVICE)) {
            capturers.put(k, new PathCapture(k));
        }
        for (FdCapturer c : kinds) {
            capturers.put(c.kind(), c);
        }
    }

    /**
     * The descriptors and the notes of what they do not keep as they were.
     *
     * @param contents bytes to store for descriptors whose file exists nowhere else (by fd)
     */
    public record Result(List<FdEntry> entries, List<String> notes, Map<Integer, byte[]> contents,
                         List<java.util.function.Consumer<Boolean>> releases, List<Runnable> killHooks) {
        /**
         * Call just before the frozen process is killed: TCP connections go into repair mode so
         * that closing them sends nothing. Best effort: a connection that cannot is closed normally.
         */
        public void beforeKill() {
            for (Runnable r : killHooks) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    // the process is killed either way; this connection then ends with a FIN
                }
            }
        }

        /**
         * Call once the process runs on ({@code killed} false) or was killed (true): the agent's
         * copies of its sockets are closed (after a kill, in repair mode, so the peer is sent
         * nothing). Safe to call more than once; only the first call acts.
         */
        public synchronized void release(boolean killed) {
            List<java.util.function.Consumer<Boolean>> todo = new ArrayList<>(releases);
            releases.clear();
            RuntimeException first = null;
            for (java.util.function.Consumer<Boolean> r : todo) {
                try {
                    r.accept(killed);
                } catch (RuntimeException e) {
                    first = first == null ? e : first;
                }
            }
            if (first != null) {
                throw first;
            }
        }

        /** The entries with each stored content's reference filled in. */
        public List<FdEntry> store(Function<byte[], FileRef> put) {
            if (contents.isEmpty()) {
                return entries;
            }
            List<FdEntry> out = new ArrayList<>(entries.size());
            for (FdEntry e : entries) {
                byte[] c = contents.get(e.fd());
                if (c != null && e.file() instanceof MemoryFile m) {
                    e = e.withFile(new MemoryFile(m.name(), m.mode(), m.seals(), put.apply(c)));
                }
                out.add(e);
            }
            return out;
        }
    }

    /**
     * Decides for every descriptor without reading any state: the check before the freeze, so a
     * process holding something Cryostash cannot save is refused without being stopped at all.
     */
    public void check(int pid, String comm, FdLosses losses) {
        check(pid, comm, losses, Set.of());
    }

    /** {@link #check} for one process of a tree: what the other {@code members} hold is in the image too. */
    public void check(int pid, String comm, FdLosses losses, Set<Integer> members) {
        run(pid, comm, losses, false, members, RepairGuard.NONE);
    }

    /** Captures every descriptor; runs while the process is frozen. */
    public Result capture(int pid, String comm, FdLosses losses) {
        return capture(pid, comm, losses, Set.of(), RepairGuard.NONE);
    }

    /**
     * Captures every descriptor of one process (of a tree whose other {@code members} are in the
     * image too, when not empty); runs while the process is frozen.
     */
    public Result capture(int pid, String comm, FdLosses losses, Set<Integer> members, RepairGuard repairGuard) {
        return capture(pid, comm, losses, members, repairGuard, ConnectionPolicy.RUN_ON);
    }

    /**
     * {@link #capture} under a {@link ConnectionPolicy}: for a process that will be killed once its
     * state is safe, its established TCP connections are locked on the network until their restore
     * and a connection the image cannot hold makes the capture refuse, unless the user gave it up.
     */
    public Result capture(int pid, String comm, FdLosses losses, Set<Integer> members, RepairGuard repairGuard,
                          ConnectionPolicy connections) {
        return run(pid, comm, losses, true, members, repairGuard, connections);
    }

    private Result run(int pid, String comm, FdLosses losses, boolean readState, Set<Integer> members,
                       RepairGuard repairGuard) {
        return run(pid, comm, losses, readState, members, repairGuard, ConnectionPolicy.RUN_ON);
    }

    private Result run(int pid, String comm, FdLosses losses, boolean readState, Set<Integer> members,
                       RepairGuard repairGuard, ConnectionPolicy connections) {
        List<FdInfo> read = FdInfo.read(pid);
        Map<Integer, String> targets = new HashMap<>();
        for (FdInfo fd : read) {
            targets.put(fd.fd(), fd.target());
        }
        int tracker = WriteTracker.descriptor(targets); // Cryostash's own write tracker, not the program's
        List<FdInfo> all = new ArrayList<>(read.size());
        for (FdInfo fd : read) {
            if (fd.fd() != tracker) {
                all.add(fd);
            }
        }
        List<FdEntry> entries = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        boolean released = false;
        FdCaptureContext ctx = new FdCaptureContext(pid, all, readState, members, repairGuard, connections);
        try {
            Map<Integer, Integer> dupOf = readState ? duplicates(pid, all) : Map.of();
            Map<Integer, FdEntry> byFd = new HashMap<>();
            List<FdClassifier.Classification> kinds = new ArrayList<>(all.size());
            for (FdInfo info : all) {
                kinds.add(FdClassifier.classify(ctx, info));
            }
            prepare(ctx, all, kinds, losses, dupOf);
            for (int i = 0; i < all.size(); i++) {
                FdInfo info = all.get(i);
                FdClassifier.Classification c = kinds.get(i);
                String name = "fd " + info.fd() + " (" + info.target() + ")";
                FdEntry slot = FdEntry.withoutRecord(info.fd(), c.kind() == null ? FdEntry.Kind.REDIRECTED : c.kind(),
                        info.target(), info.flags(), info.pos());
                if (losses.close().contains(info.fd())) {
                    entries.add(slot.givenUp(FdEntry.Kind.CLOSED));
                    notes.add(name + ", " + c.what() + ": given up, left closed on restore");
                    continue;
                }
                if (losses.redirect().contains(info.fd())) {
                    entries.add(slot.givenUp(FdEntry.Kind.REDIRECTED));
                    notes.add(name + ", " + c.what() + ": given up, bound to /dev/null or the restore's log");
                    continue;
                }
                Integer original = dupOf.get(info.fd());
                FdEntry originalEntry = original == null ? null : byFd.get(original);
                if (originalEntry != null && originalEntry.kind() == slot.kind()) {
                    FdEntry dup = new FdEntry(info.fd(), slot.kind(), info.target(), info.flags(), info.pos(),
                            original, null, List.of());
                    entries.add(dup);
                    byFd.put(info.fd(), dup);
                    continue;
                }
                try {
                    if (c.kind() == null) {
                        throw new Unsavable(c.what());
                    }
                    FdCapturer capturer = capturers.get(c.kind());
                    if (capturer == null) {
                        throw new Unsavable(c.what() + ", not supported yet",
                                c.kind() == FdEntry.Kind.TERMINAL);
                    }
                    FdEntry e = capturer.capture(ctx, slot, info);
                    if (!info.lines("lock:").isEmpty()) {
                        e = e.withLocks(locks.locks(ctx, info));
                    }
                    entries.add(e);
                    byFd.put(info.fd(), e);
                } catch (Unsavable u) {
                    if (info.fd() <= 2 && u.standardStreamMayRedirect()) {
                        entries.add(slot.givenUp(FdEntry.Kind.REDIRECTED));
                        notes.add(name + ", " + u.getMessage() + ": a standard stream, bound to /dev/null (input)"
                                + " or the restore's log (output) on restore");
                    } else {
                        refused.add("fd " + info.fd() + ": " + u.getMessage() + " (" + info.target() + ")");
                    }
                }
            }
            if (!refused.isEmpty()) {
                // in a tree, numbers alone would name the root's descriptors: each is named with its pid
                String fds = String.join(",", refused.stream().map(r -> (members.isEmpty() ? "" : pid + ":")
                        + r.substring(3, r.indexOf(':'))).toList());
                throw new CaptureException("pid " + pid + " (" + comm + ") holds descriptors Cryostash cannot save:\n  "
                        + String.join("\n  ", refused) + "\nNo image was written and the process runs on. To give"
                        + " them up, checkpoint again with --close-fd " + fds + " (restore leaves them closed) or"
                        + " --redirect-fd " + fds + " (restore binds /dev/null or a log in their place).");
            }
            notes.addAll(ctx.notes());
            released = true;
            return new Result(entries, notes, Map.copyOf(ctx.contents()), new ArrayList<>(ctx.releases()),
                    List.copyOf(ctx.beforeKills()));
        } catch (UncheckedIOException e) {
            throw new CaptureException("reading the descriptors of pid " + pid + " failed: " + e.getMessage(), e);
        } finally {
            if (!released) { // refused or failed: whatever was changed for reading goes back now
                new Result(List.of(), List.of(), Map.of(), new ArrayList<>(ctx.releases()), List.of()).release(false);
            }
            ctx.close();
        }
    }

    /**
     * Hands every capturer the descriptors it is about to capture (not those given up, nor
     * those that look like duplicates of a lower one of the same kind), see {@link FdCapturer#prepare}.
     */
    private void prepare(FdCaptureContext ctx, List<FdInfo> all, List<FdClassifier.Classification> kinds,
                         FdLosses losses, Map<Integer, Integer> dupOf) {
        Map<Integer, FdEntry.Kind> kindOf = new HashMap<>();
        Map<FdCapturer, List<FdInfo>> mine = new java.util.LinkedHashMap<>();
        for (int i = 0; i < all.size(); i++) {
            FdInfo info = all.get(i);
            FdEntry.Kind k = kinds.get(i).kind();
            if (k == null || losses.close().contains(info.fd()) || losses.redirect().contains(info.fd())) {
                continue;
            }
            kindOf.put(info.fd(), k);
            Integer original = dupOf.get(info.fd());
            FdCapturer capturer = capturers.get(k);
            if (capturer != null && (original == null || kindOf.get(original) != k)) {
                mine.computeIfAbsent(capturer, x -> new ArrayList<>()).add(info);
            }
        }
        mine.forEach((capturer, fds) -> capturer.prepare(ctx, fds));
    }

    /**
     * For descriptors that share an open file with a lower one (dup, or inherited so), that
     * lower one. Only descriptors with the same link, inode and access mode can share (the
     * mode belongs to the open file and never changes; position and status flags do, and another
     * process sharing the file may change them between two reads); kcmp decides among them. The
     * two ends of a pipe differ in their mode, so a process full of pipes costs no kcmp at all.
     * Every eventfd has the same (anonymous) inode: its own id, which fdinfo shows, tells them apart.
     */
    static Map<Integer, Integer> duplicates(int pid, List<FdInfo> all) {
        Map<SharingKey, List<FdInfo>> groups = new HashMap<>();
        for (FdInfo f : all) {
            groups.computeIfAbsent(new SharingKey(f.target(), f.ino(), f.flags() & O_ACCMODE, f.value("eventfd-id:")),
                    k -> new ArrayList<>(2)).add(f);
        }
        Map<Integer, Integer> out = new HashMap<>();
        for (List<FdInfo> g : groups.values()) {
            if (g.size() < 2) {
                continue;
            }
            // the kernel orders open files too: sorted by kcmp, sharers are neighbours (n log n calls)
            List<FdInfo> sorted = new ArrayList<>(g);
            sorted.sort((a, b) -> Kcmp.compareFiles(pid, a.fd(), pid, b.fd()));
            int runStart = 0;
            for (int i = 1; i <= sorted.size(); i++) {
                if (i == sorted.size() || Kcmp.compareFiles(pid, sorted.get(runStart).fd(), pid, sorted.get(i).fd()) != 0) {
                    int lowest = sorted.subList(runStart, i).stream().mapToInt(FdInfo::fd).min().orElseThrow();
                    for (FdInfo f : sorted.subList(runStart, i)) {
                        if (f.fd() != lowest) {
                            out.put(f.fd(), lowest);
                        }
                    }
                    runStart = i;
                }
            }
        }
        return out;
    }
}
