// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import io.cryostash.store.image.ImageIntegrityException;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.image.PageSource;
import io.cryostash.agent.linux.Errno;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.Tracer;
import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.ProcStatus;
import io.cryostash.store.Hashing;
import io.cryostash.agent.remote.Mman;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.inet.NetworkLockRelease;
import io.cryostash.restore.files.DescriptorRestore;
import io.cryostash.restore.files.FileResolver;
import io.cryostash.restore.files.FileRestore;
import io.cryostash.restore.files.OutputLog;
import io.cryostash.restore.memory.LazyMemory;
import io.cryostash.restore.files.TreeFds;
import io.cryostash.restore.memory.MemoryRestore;
import io.cryostash.restore.process.CredentialsRestore;
import io.cryostash.restore.process.MmRestore;
import io.cryostash.restore.process.PidCheck;
import io.cryostash.restore.process.ProcessRestore;
import io.cryostash.restore.signals.PendingSignalRestore;
import io.cryostash.restore.signals.SignalRestore;
import io.cryostash.restore.threads.ThreadRestore;
import io.cryostash.restore.sysvipc.SysvIpcPlan;
import io.cryostash.restore.sysvipc.SysvIpcRestore;
import io.cryostash.restore.timers.TimerRestore;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.SysvIpcState;
import io.cryostash.schema.image.ThreadState;

/**
 * Turns a husk process into the image's process with remote system calls (see
 * docs/architecture.md, "Restore"). Any failure kills the husk: a half-built process never
 * runs, and PTRACE_O_EXITKILL makes the kernel do the same if this JVM dies midway.
 */
public final class Restorer {
    private static final int SIGWINCH = 28;

    private final ImageStore store;
    private final DescriptorRestore descriptors = DescriptorKinds.standard();

    public Restorer(ImageStore store) {
        this.store = store;
    }

    public RestoreResult restore(String imageId, RestoreOptions options) {
        long t0 = System.nanoTime();
        RestoreClock clock = new RestoreClock(t0);
        ProcessImage loaded = store.read(imageId);
        clock.lap(RestorePhase.READ_IMAGE);
        try {
            return restore(imageId, loaded, options, t0, clock);
        } catch (RuntimeException e) {
            NetworkLockRelease.afterFailure(loaded); // no drop rule outlives the restore meant to end it
            throw e;
        }
    }

    private RestoreResult restore(String imageId, ProcessImage loaded, RestoreOptions options, long t0, RestoreClock clock) {
        checkCompatible(loaded);
        if (loaded.hasTree()) {
            return TreeRestore.restore(store, loaded, options, descriptors, t0);
        }
        // the pages come from the store while the image is checked and the husk made
        PageSource pages = store.pages(loaded);
        Checked c;
        try {
            c = check(loaded, options);
        } catch (RuntimeException e) {
            pages.close();
            throw e;
        }
        clock.lap(RestorePhase.CHECK);
        Husk[] husk = {null};
        try (pages; Tracer tracer = new Tracer("restore-" + c.image().id().substring(0, Math.min(12, c.image().id().length())))) {
            tracer.call(p -> {
                husk[0] = spawnHusk(p, c.image(), options.pids(), c.wantedPid());
                clock.lap(RestorePhase.HUSK);
                try {
                    Built built = build(p, husk[0], c.image(), pages, c.paths(), c.log(), descriptors, store, options,
                            c.sysv(), null, null, clock);
                    finish(p, built, null);
                    clock.lap(RestorePhase.RUN);
                } catch (RuntimeException e) {
                    husk[0].kill(); // while it is still ours: once the helper exits, its pid may be reused
                    throw e;
                }
                husk[0].releaseInit(p);
                return null;
            });
        } catch (RuntimeException e) {
            OutputLog.discard(c.log());
            throw failed(e, husk[0], c.image(), imageId, "restore", null);
        }
        redraw(c.image(), husk[0]);
        return new RestoreResult(husk[0].pid, c.log(), System.nanoTime() - t0, husk[0].ownPid, c.sysv().notes(),
                clock.phases());
    }

    /**
     * Restores the process and lets it run before its private memory is in ({@code restore
     * --lazy}): that memory comes from the store as the process touches it, and in the
     * background until all of it is in ({@link LazyMemory}). Every thread stays traced with
     * PTRACE_O_EXITKILL until then (by the tracer helper, which exits with this JVM), so if this
     * JVM dies first the kernel kills the process (every thread of it) rather than let it run
     * with memory missing. Threads, pids and SysV IPC objects are restored as by {@link #restore}:
     * the userfaultfd belongs to the process's memory, so the faults of every thread come to it.
     * Process trees are refused (restore them without --lazy). Call
     * {@link LazyRestore#awaitResident} to finish.
     */
    public LazyRestore restoreLazy(String imageId, RestoreOptions options) {
        long t0 = System.nanoTime();
        RestoreClock clock = new RestoreClock(t0);
        ProcessImage loaded = store.read(imageId);
        clock.lap(RestorePhase.READ_IMAGE);
        try {
            return restoreLazy(imageId, loaded, options, t0, clock);
        } catch (RuntimeException e) {
            NetworkLockRelease.afterFailure(loaded);
            throw e;
        }
    }

    private LazyRestore restoreLazy(String imageId, ProcessImage loaded, RestoreOptions options, long t0,
                                    RestoreClock clock) {
        checkCompatible(loaded);
        if (loaded.hasTree()) {
            throw new RestoreException("image " + imageId + " holds a process tree (a process and " + loaded.tree().members().size()
                    + " descendants): restore --lazy takes single processes only; restore it without --lazy");
        }
        Checked c = check(loaded, options);
        clock.lap(RestorePhase.CHECK);
        Tracer tracer = new Tracer("restore-" + c.image().id().substring(0, Math.min(12, c.image().id().length())));
        PageSource pages = store.pages();
        Husk[] husk = {null};
        LazyMemory[] lazy = {null};
        List<Integer> tids;
        try {
            tids = tracer.call(p -> {
                husk[0] = spawnHusk(p, c.image(), options.pids(), c.wantedPid());
                clock.lap(RestorePhase.HUSK);
                try {
                    lazy[0] = LazyMemory.of(husk[0].pid, c.image().id(), store.repository().chunks(), c.image().areas());
                    List<Integer> running = finish(p, build(p, husk[0], c.image(), pages, c.paths(), c.log(),
                            descriptors, store, options, c.sysv(), null, lazy[0], clock), lazy[0]);
                    clock.lap(RestorePhase.RUN);
                    husk[0].releaseInit(p);
                    return running;
                } catch (RuntimeException e) {
                    husk[0].kill(); // while it is still ours: once the helper exits, its pid may be reused
                    throw e;
                }
            });
        } catch (RuntimeException e) {
            String served = lazy[0] == null ? null : lazy[0].failure(); // a fault taken while being built
            if (lazy[0] != null) {
                lazy[0].abandon("restore failed");
                lazy[0].close();
            }
            tracer.close();
            pages.close();
            OutputLog.discard(c.log());
            throw failed(e, husk[0], c.image(), imageId, "restore --lazy", served);
        }
        lazy[0].startFilling();
        redraw(c.image(), husk[0]);
        return new LazyRestore(husk[0].pid, husk[0].ownPid, tids, c.log(), System.nanoTime() - t0, clock.phases(),
                tracer, lazy[0], pages);
    }

    /** What {@link #check} found: the image as it will be restored, its files, log, pid and SysV plan. */
    private record Checked(ProcessImage image, Map<String, String> paths, Path log, int wantedPid, SysvIpcPlan sysv) {
    }

    /** Everything that can be refused before a husk exists: the image itself, then whether this host has its ids free. */
    private Checked check(ProcessImage loaded, RestoreOptions options) {
        Map<String, String> paths = FileResolver.resolve(store.repository().files(), loaded,
                options.allowChangedFiles());
        ProcessImage image = options.tty() != null ? loaded
                : loaded.withFds(DescriptorRestore.withoutTerminal(loaded.id(), loaded.fds()));
        descriptors.check(image.id(), image.fds());
        int wantedPid = image.threads().get(0).tid();
        if (options.pids() == RestoreOptions.PidMode.NEW_PID && image.threads().size() != 1) {
            throw new RestoreException("image " + image.id() + " has " + image.threads().size() + " threads:"
                    + " --new-pid is for single-threaded processes only (glibc and the JVM keep thread ids in"
                    + " memory, so every thread needs its own again); use --new-pid-namespace");
        }
        if (options.pids() != RestoreOptions.PidMode.NEW_PID) {
            PidCheck.requireWithinPidMax(image);
        }
        if (options.pids() == RestoreOptions.PidMode.ORIGINAL) {
            PidCheck.requireFree(image);
        }
        SysvIpcPlan sysv = SysvIpcPlan.of(image);
        Path log = FileRestore.prepareLog(image.fds(), options.logDir(), image.id(), image.credentials());
        return new Checked(image, paths, log, wantedPid, sysv);
    }

    /** Says why a restore failed, as the exception to throw; the husk, if any, was killed already. */
    private static RestoreException failed(RuntimeException e, Husk husk, ProcessImage image, String imageId,
                                           String what, String served) {
        if (husk == null) {
            return e instanceof RestoreException re ? re : new RestoreException(what + " of image " + imageId
                    + " failed before its process was started: " + e.getMessage(), e);
        }
        String killed = " (the half-built process " + husk.pid + " was killed)";
        if (served != null) {
            return new RestoreException(what + " of image " + imageId + " failed" + killed + ": " + served, e);
        }
        if (e instanceof RestoreException re) {
            return new RestoreException(re.getMessage() + killed, re);
        }
        if (e instanceof ImageIntegrityException ie) {
            return new RestoreException("image " + image.id() + " failed verification, nothing was restored"
                    + killed + ": " + ie.getMessage(), ie);
        }
        return new RestoreException(what + " of image " + imageId + " failed: " + e.getMessage() + killed, e);
    }

    /** On a terminal of another size, full-screen programs redraw. */
    private static void redraw(ProcessImage image, Husk husk) {
        if (image.fds().stream().anyMatch(f -> f.kind() == FdEntry.Kind.TERMINAL)) {
            Syscalls.kill(husk.pid, SIGWINCH);
        }
    }

    static Husk spawnHusk(Ptrace ptrace, ProcessImage image, RestoreOptions.PidMode mode, int wantedPid) {
        try {
            return Husk.spawn(ptrace, mode, wantedPid);
        } catch (TraceeException e) {
            if (Husk.pidInUse(e)) {
                throw image.hasTree() ? PidCheck.inUseInTree(image, wantedPid, e) : PidCheck.inUse(image, wantedPid, e);
            }
            if (e.errno() == Errno.EPERM && mode != RestoreOptions.PidMode.NEW_PID) {
                throw new RestoreException("choosing the pid of the restored process (clone3 with set_tid) was not"
                        + " permitted: it needs root (CAP_CHECKPOINT_RESTORE or CAP_SYS_ADMIN); " + e.getMessage(), e);
            }
            throw e;
        }
    }

    static void checkCompatible(ProcessImage image) {
        String arch = System.getProperty("os.arch");
        if (image.host() != null && image.host().arch() != null && !image.host().arch().equals(arch)) {
            throw new RestoreException("image " + image.id() + " is for " + image.host().arch() + ", this host is "
                    + arch);
        }
    }

    /**
     * A process built and still stopped, with the restorer pages still mapped (a tree closes the
     * pipe ends it parked for others through them): {@link #finish} lets it go.
     */
    record Built(Husk husk, List<ThreadRestore.Restored> threads, RemoteSyscalls remote, RestorerPage page,
                 ProcessMemory mem) {
    }

    /**
     * Steps 1-12 of docs/architecture.md's "Restore" in the husk.
     *
     * @param sysv the SysV IPC objects to keep or recreate, planned against this host
     * @param tree what the processes of a tree restored before this one made (null for a single process)
     * @param lazy null: write every page now; else leave its areas to it ({@link LazyRestore})
     * @param clock charged with the phases from {@link RestorePhase#SET_UP} to {@link RestorePhase#PROCESS}
     */
    static Built build(Ptrace ptrace, Husk husk, ProcessImage image, PageSource pages,
                       Map<String, String> paths, Path log, DescriptorRestore descriptors, ImageStore store,
                       RestoreOptions options, SysvIpcPlan sysv, TreeFds tree, LazyMemory lazy, RestoreClock clock) {
        int pid = husk.pid;
        List<MapsEntry> huskMaps = Maps.read(pid);
        ProcStatus huskStatus = ProcStatus.read(pid);
        ProcessMemory mem = new ProcessMemory(pid, true);
        try {
            checkVdso(image, huskMaps, mem);
            RemoteSyscalls remote = new RemoteSyscalls(ptrace, pid,
                    RemoteSyscalls.findSyscallInstruction(pid, huskMaps, mem));
            List<long[]> used = new ArrayList<>();
            huskMaps.forEach(e -> used.add(new long[] {e.start(), e.end()}));
            image.areas().forEach(a -> used.add(new long[] {a.start(), a.end()}));
            for (SysvIpcState.SharedSegment s : image.sysvIpc().segments()) { // holes in an attachment are taken by it
                s.attachedAt().forEach(at -> used.add(new long[] {at, at + ((s.size() + 4095) & -4096L)}));
            }
            long at = RestorerPage.findGap(used, RestorerPage.SIZE);
            long got = remote.call("mmap restorer", SyscallNumbers.MMAP, at, RestorerPage.SIZE,
                    Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC,
                    Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | Mman.MAP_FIXED_NOREPLACE, -1, 0);
            RestorerPage page = new RestorerPage(got, mem);
            mem.write(page.address(), RestorerPage.STUB);
            remote.useSyscallInstructionAt(page.syscallInsn());
            used.add(new long[] {page.address(), page.address() + RestorerPage.SIZE});

            ThreadRestore.dropHuskRseq(ptrace, remote, pid);
            MemoryRestore.clearHusk(remote, huskMaps, page.address(), page.address() + RestorerPage.SIZE);
            MemoryRestore.placeVdso(remote, huskMaps, image, size -> RestorerPage.findGap(used, size));
            MmRestore.restore(remote, mem, image.mm(), paths.getOrDefault(image.mm().exePath(), image.mm().exePath()),
                    page.scratch());

            FileRestore files = new FileRestore(remote, mem, page.scratch());
            files.closeHuskDescriptors(pid);
            CredentialsRestore.fileSystemIds(remote, mem, image.credentials(), page.scratch());
            files.openRedirected(image.fds(), log); // with the image's rights: the log is the user's own file
            clock.lap(RestorePhase.SET_UP);

            // before the other areas: the whole of each attachment is free then
            SysvIpcRestore.restore(remote, mem, page.scratch(), image, sysv, ref -> materialize(store, ref));
            MemoryRestore.mapAreas(remote, mem, image, pages,
                    path -> page.string(0, paths.getOrDefault(path, path)),
                    lazy == null ? a -> false : LazyMemory::isLazy,
                    RestorerPage.findGap(used, io.cryostash.agent.remote.SyscallBatch.BYTES), page.scratch());
            if (lazy != null) { // before the credentials drop: creating a userfaultfd needs privilege here
                lazy.register(remote, mem, page.scratch());
            }
            clock.lap(RestorePhase.MEMORY);
            descriptors.restore(remote, mem, page.scratch(), image.fds(), ref -> materialize(store, ref),
                    options.tcpClose(), options.tty(), tree);
            clock.lap(RestorePhase.DESCRIPTORS);
            files.fs(image.fs());
            SignalRestore.restore(remote, mem, image.signalActions(), page.scratch(),
                    huskStatus.sigCaught() | huskStatus.sigIgnored());
            ProcessRestore.restore(remote, mem, image, page.scratch());

            // threads are cloned with CLONE_FILES: the descriptors made above are theirs as well
            ThreadState mainState = image.threads().get(0);
            List<ThreadRestore.Restored> threads = createThreads(ptrace, remote, pid, mem, page, image);
            // ProcessRestore named the main thread: the others inherited that name
            ThreadRestore.kernelState(ptrace, mem, threads, image.process().comm(), page.scratch(),
                    page.syscallInsn());
            PendingSignalRestore.process(remote, mem, page.scratch(), husk.ownPid, image.sharedPendingSignals());
            for (ThreadRestore.Restored t : threads) {
                int ownTid = t.state() == mainState ? husk.ownPid : t.state().tid();
                PendingSignalRestore.thread(t.remote(), mem, page.scratch(), husk.ownPid, ownTid,
                        t.state().pendingSignals());
            }
            CredentialsRestore.allIds(ptrace, threads.stream().map(ThreadRestore.Restored::tid).toList(),
                    page.syscallInsn(), remote, image.credentials(), huskStatus.uids(), huskStatus.gids());
            // last, once every thread a timer may notify exists: the restore's time does not count
            TimerRestore.restore(remote, mem, image.timers(), page.scratch(), mainState.tid(), husk.ownPid);
            clock.lap(RestorePhase.PROCESS);
            return new Built(husk, threads, remote, page, mem);
        } catch (RuntimeException e) {
            mem.close();
            throw e;
        }
    }

    /**
     * Step 13: the restorer pages go, every thread gets its registers and runs, the main one last.
     *
     * @param lazy null: every thread is detached; else every thread runs still traced ({@link LazyRestore})
     * @return the threads' tids on this host
     */
    static List<Integer> finish(Ptrace ptrace, Built b, LazyMemory lazy) {
        List<Integer> tids = new ArrayList<>();
        try (ProcessMemory mem = b.mem()) {
            b.remote().call("munmap restorer", SyscallNumbers.MUNMAP, b.page().address(), RestorerPage.SIZE);
            ThreadRestore.cpuStates(ptrace, b.threads());
            b.threads().forEach(t -> tids.add(t.tid()));
            // the main thread last: until then the process as a whole still looks stopped
            List<Integer> order = new ArrayList<>(tids);
            Collections.reverse(order);
            // lazy: runs now, still traced (EXITKILL) until all of its memory is in; the threads and
            // children it makes meanwhile are reported to LazyRestore, which watches for a copy of
            // the memory it could not fill (fork)
            if (!ptrace.batchesThreads()) {
                for (int tid : order) {
                    if (lazy == null) {
                        ptrace.detach(tid);
                    } else {
                        ptrace.setOptions(tid, LazyRestore.OPTIONS);
                        ptrace.cont(tid, 0);
                    }
                }
            } else {
                int[] errnos = lazy == null ? ptrace.detachThreads(order, true)
                        : ptrace.continueThreads(order, LazyRestore.OPTIONS, true);
                for (int i = 0; i < errnos.length; i++) {
                    if (errnos[i] != 0) { // the threads after it (the main one among them) are still stopped
                        throw new TraceeException(order.get(i), lazy == null ? "PTRACE_DETACH"
                                : "PTRACE_SETOPTIONS/PTRACE_CONT", errnos[i]);
                    }
                }
            }
        }
        return tids;
    }

    private static List<ThreadRestore.Restored> createThreads(Ptrace ptrace, RemoteSyscalls main, int pid,
                                                              ProcessMemory mem, RestorerPage page, ProcessImage image) {
        try {
            return ThreadRestore.createAll(ptrace, main, pid, mem, page.scratch(), page.syscallInsn(), image.threads());
        } catch (TraceeException e) {
            if (Husk.pidInUse(e)) { // the helper names the tid asked for
                throw PidCheck.inUse(image, e.pid(), e);
            }
            throw e;
        }
    }

    /** A stored file's bytes in the local cache, verified (a memfd's or deleted file's contents). */
    private static Path materialize(ImageStore store, io.cryostash.schema.store.FileRef ref) {
        try {
            return store.repository().files().materialize(ref, null);
        } catch (io.cryostash.store.IntegrityException e) {
            throw new ImageIntegrityException(e);
        } catch (java.io.IOException e) {
            throw new RestoreException("cannot fetch stored contents " + ref.sha256() + ": " + e.getMessage(), e);
        }
    }

    private static void checkVdso(ProcessImage image, List<MapsEntry> huskMaps, ProcessMemory mem) {
        boolean imageHasVdso = image.areas().stream().anyMatch(a -> a.kind() == MemoryArea.Kind.VDSO);
        if (!imageHasVdso || image.host() == null || image.host().vdsoSha256() == null) {
            return;
        }
        MapsEntry vdso = huskMaps.stream().filter(e -> "[vdso]".equals(e.path())).findFirst()
                .orElseThrow(() -> new RestoreException("this host has no vDSO; image " + image.id() + " needs one"));
        String sha = Hashing.hex(Hashing.sha256(mem.read(vdso.start(), (int) vdso.length())));
        if (!sha.equals(image.host().vdsoSha256())) {
            throw new RestoreException("this host's vDSO differs from the one image " + image.id()
                    + " was taken with (kernel " + image.host().kernel() + "); the program's cached vDSO entry"
                    + " points would be wrong, so it cannot be restored here");
        }
    }

}
