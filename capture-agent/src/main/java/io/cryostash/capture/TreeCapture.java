// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.Tracer;
import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.proc.SmapsRollup;
import io.cryostash.capture.memory.PageBuffers;
import io.cryostash.capture.sysvipc.SysvIpcCapture;
import io.cryostash.capture.sysvipc.SysvSelection;
import io.cryostash.capture.threads.FrozenThreads;
import io.cryostash.capture.tree.Descendants;
import io.cryostash.capture.tree.TreeLinks;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ProcessTree;
import io.cryostash.schema.image.TreeMember;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ImageWriter;

/**
 * {@code checkpoint --tree}: a process and all its descendants in one image. Every process is
 * frozen before any is read (the set is scanned again until a scan finds nothing new: only a
 * running process can fork, and one that exits meanwhile is simply not part of it), then each
 * is read as a single capture reads it, then what they share is linked ({@link TreeLinks}).
 * All are let go together; with kill, all stay frozen until the image is stored and are then
 * killed, and any failure lets them all go.
 */
final class TreeCapture {
    private static final long STOP_TIMEOUT_MS = 5_000;
    private static final int MAX_ROUNDS = 100;
    private static final int SIGKILL = 9;

    private final Capturer capturer;
    private final ImageStore store;
    private final AreaChunker chunker;

    TreeCapture(Capturer capturer, ImageStore store, AreaChunker chunker) {
        this.capturer = capturer;
        this.store = store;
        this.chunker = chunker;
    }

    /** The frozen tree: each live process's capture, zombies' states, what they share. */
    private record FrozenTree(Map<Integer, Capturer.Frozen> live, Map<Integer, ProcStat> stats,
                              Map<Integer, Integer> zombies, TreeLinks links, long frozenAt) {
        void release() {
            live.values().forEach(f -> f.threads().release());
        }

        void releaseFds(boolean killed) {
            live.values().forEach(f -> Capturer.releaseQuietly(f.fds(), killed));
        }
    }

    CaptureResult capture(int root, CaptureOptions options) {
        if (options.parent() != null || options.track() || options.preCopy()) {
            throw new CaptureException("checkpoint --tree cannot be combined with --parent, --track or --pre-copy yet");
        }
        long t0 = System.nanoTime();
        Capturer.preflight(root);
        List<ProcStat> seen = Descendants.of(root);
        Set<Integer> all = new HashSet<>(List.of(root));
        seen.forEach(s -> all.add(s.pid()));
        for (int named : options.memberLosses().keySet()) {
            if (named != root && !all.contains(named)) {
                throw new CaptureException("--close-fd/--redirect-fd name pid " + named + ", which is not a descendant of"
                        + " pid " + root + " (the tree is " + all.stream().sorted().map(String::valueOf)
                        .collect(java.util.stream.Collectors.joining(", ")) + "); nothing was frozen");
            }
        }
        SysvIpcCapture.checkNamespace(root);
        capturer.checkDescriptors(root, lossesOf(root, root, options), all);
        for (ProcStat s : seen) {
            if (s.state() != 'Z' && s.state() != 'X') {
                try {
                    SysvIpcCapture.checkNamespace(s.pid());
                    capturer.checkDescriptors(s.pid(), lossesOf(s.pid(), root, options), all);
                } catch (CaptureException e) {
                    if (!Capturer.goneOrZombie(s.pid())) {
                        throw e;
                    }
                }
            }
        }
        // copy buffers faulted in before the freeze, as a single capture's are (a process that
        // appears later gets its own inside the freeze)
        Map<Integer, PageBuffers> buffers = new HashMap<>();
        for (int pid : all) {
            long bytes = privateBytes(pid);
            if (bytes > 0) {
                buffers.put(pid, new PageBuffers(bytes));
            }
        }
        try (Tracer tracer = new Tracer("capture-tree-" + root)) {
            FrozenTree tree = tracer.call(p -> freeze(p, root, options, buffers));
            long released = 0;
            ProcessImage written;
            try {
                if (!options.kill()) {
                    released = tracer.call(p -> {
                        tree.release();
                        return System.nanoTime();
                    });
                    tree.releaseFds(false);
                }
                written = write(root, tree);
            } catch (RuntimeException e) {
                if (options.kill()) {
                    tree.releaseFds(false);
                    tracer.call(p -> {
                        tree.release(); // no image, so the tree must live on
                        return null;
                    });
                }
                throw e;
            }
            if (options.kill()) {
                tree.live().values().forEach(f -> f.fds().beforeKill());
                released = tracer.call(p -> {
                    for (int pid : tree.live().keySet()) {
                        killQuietly(pid);
                    }
                    long at = System.nanoTime();
                    tree.live().values().forEach(f -> f.threads().reapKilled()); // so that parents can reap them
                    return at;
                });
                tree.releaseFds(true);
            }
            long bytes = tree.live().values().stream().mapToLong(f -> f.memory().bytes()).sum();
            List<String> notes = new ArrayList<>();
            tree.live().forEach((pid, f) -> f.fds().notes().forEach(n -> notes.add("pid " + pid + ": " + n)));
            return new CaptureResult(written, released - tree.frozenAt(), System.nanoTime() - t0, bytes,
                    new FreezeClock().phases(), notes);
        }
    }

    /**
     * What the user gave up in process {@code pid}: for the root, bare numbers and its own
     * {@code PID:FD} entries; for the others, their {@code PID:FD} entries only.
     */
    private static FdLosses lossesOf(int pid, int root, CaptureOptions options) {
        FdLosses own = options.memberLosses().getOrDefault(pid, FdLosses.NONE);
        if (pid != root) {
            return own;
        }
        java.util.Set<Integer> close = new java.util.HashSet<>(options.losses().close());
        close.addAll(own.close());
        java.util.Set<Integer> redirect = new java.util.HashSet<>(options.losses().redirect());
        redirect.addAll(own.redirect());
        return new FdLosses(close, redirect);
    }

    /** Anonymous memory of a process to size its copy buffers; 0 for a zombie or one gone. */
    private static long privateBytes(int pid) {
        try {
            return SmapsRollup.read(pid).privateBytes();
        } catch (RuntimeException goneOrZombie) {
            return 0;
        }
    }

    private FrozenTree freeze(Ptrace ptrace, int root, CaptureOptions options, Map<Integer, PageBuffers> prepared) {
        long frozenAt = System.nanoTime();
        Map<Integer, FrozenThreads> threads = new LinkedHashMap<>();
        Map<Integer, Capturer.Frozen> live = new LinkedHashMap<>();
        try {
            threads.put(root, Capturer.seizeAll(ptrace, root));
            List<ProcStat> members = stableMembers(ptrace, root, threads);
            Map<Integer, ProcStat> stats = new LinkedHashMap<>();
            Map<Integer, Integer> zombies = new LinkedHashMap<>();
            stats.put(root, ProcStat.read(root));
            for (ProcStat s : members) {
                stats.put(s.pid(), s);
                if (!threads.containsKey(s.pid())) {
                    zombies.put(s.pid(), Descendants.exitStatus(s.pid()));
                }
            }
            Set<Integer> all = new HashSet<>(stats.keySet());
            Map<Integer, List<MapsEntry>> maps = new LinkedHashMap<>();
            for (Map.Entry<Integer, FrozenThreads> t : threads.entrySet()) {
                int pid = t.getKey();
                Set<Integer> others = new HashSet<>(all);
                others.remove(pid);
                PageBuffers buffers = prepared.containsKey(pid) ? prepared.get(pid)
                        : new PageBuffers(SmapsRollup.read(pid).privateBytes());
                maps.put(pid, Maps.read(pid));
                live.put(pid, capturer.freeze(ptrace, pid, buffers, null, null, null, false, null, new FreezeClock(),
                        lossesOf(pid, root, options), pid == root ? options.sysv() : SysvSelection.NONE, t.getValue(),
                        others, capturer.connections(options)));
            }
            List<Integer> order = new ArrayList<>(live.keySet());
            Map<Integer, List<FdEntry>> fds = new LinkedHashMap<>();
            live.forEach((pid, f) -> fds.put(pid, f.image().fds()));
            TreeLinks links = TreeLinks.find(order, fds, maps);
            return new FrozenTree(live, stats, zombies, links, frozenAt);
        } catch (RuntimeException e) {
            threads.values().forEach(FrozenThreads::release);
            live.values().forEach(f -> Capturer.releaseQuietly(f.fds(), false));
            throw e;
        }
    }

    /**
     * Freezes descendants round after round until a scan finds none that is not frozen yet (or
     * a zombie); returns them, parents before children. A process that exits before it is
     * frozen is left out (or taken as the zombie it now is); one that left the tree meanwhile
     * (its parent exited, so it was reparented) is let go.
     */
    private static List<ProcStat> stableMembers(Ptrace ptrace, int root, Map<Integer, FrozenThreads> threads) {
        for (int round = 0; round < MAX_ROUNDS; round++) {
            List<ProcStat> now = Descendants.of(root);
            boolean fresh = false;
            for (ProcStat s : now) {
                if (threads.containsKey(s.pid()) || s.state() == 'Z' || s.state() == 'X') {
                    continue;
                }
                fresh = true;
                try {
                    threads.put(s.pid(), FrozenThreads.freeze(ptrace, s.pid(), STOP_TIMEOUT_MS));
                } catch (TraceeException | CaptureException e) {
                    if (!Capturer.goneOrZombie(s.pid())) {
                        throw e instanceof CaptureException ce ? ce : new CaptureException("cannot attach to pid "
                                + s.pid() + ", a descendant of " + root + ": " + e.getMessage(), e);
                    }
                }
            }
            if (!fresh) {
                Set<Integer> inTree = new HashSet<>(List.of(root));
                now.forEach(s -> inTree.add(s.pid()));
                threads.keySet().removeIf(pid -> {
                    if (!inTree.contains(pid)) {
                        threads.get(pid).release();
                        return true;
                    }
                    return false;
                });
                return now;
            }
        }
        throw new CaptureException("the processes under pid " + root + " kept forking through " + MAX_ROUNDS
                + " rounds of freezing; no image was written and they were let go");
    }

    private ProcessImage write(int root, FrozenTree tree) {
        List<Integer> order = new ArrayList<>(tree.live().keySet());
        Map<Integer, List<FdEntry>> fds = new LinkedHashMap<>();
        try (ImageWriter w = store.newImage()) {
            Map<Integer, ProcessImage> images = new LinkedHashMap<>();
            for (Map.Entry<Integer, Capturer.Frozen> e : tree.live().entrySet()) {
                Capturer.Frozen f = e.getValue();
                ProcessImage img = ImageArchive.assemble(w, chunker, f.image(), f.memory(), null,
                        f.tracking().label(), f.fds(), f.sysv(), tree.links().areasKeptElsewhere(e.getKey()));
                images.put(e.getKey(), img);
                fds.put(e.getKey(), img.fds());
            }
            Map<Integer, List<FdEntry>> once = TreeLinks.pipeBytesOnce(order, fds);
            List<TreeMember> members = new ArrayList<>();
            for (Map.Entry<Integer, ProcStat> e : tree.stats().entrySet()) {
                int pid = e.getKey();
                if (pid == root) {
                    continue;
                }
                ProcStat st = e.getValue();
                Integer status = tree.zombies().get(pid);
                ProcessImage img = status != null ? null : images.get(pid).withFds(once.get(pid));
                members.add(new TreeMember(pid, st.ppid(), st.pgrp(), st.session(), status, img,
                        status != null ? List.of() : tree.links().sharedFds(pid),
                        status != null ? List.of() : tree.links().sharedAreas(pid)));
            }
            ProcessImage rootImage = images.get(root).withFds(once.get(root)).withTree(new ProcessTree(members));
            return store.commit(w, rootImage);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the image: " + e.getMessage(), e);
        }
    }

    private static void killQuietly(int pid) {
        try {
            Syscalls.kill(pid, SIGKILL);
        } catch (TraceeException gone) {
            // already gone: nothing left to kill
        }
    }
}
