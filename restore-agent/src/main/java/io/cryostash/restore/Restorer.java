// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;
import java.util.ArrayList;
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
import io.cryostash.restore.files.DescriptorRestore;
import io.cryostash.restore.files.FileResolver;
import io.cryostash.restore.files.FileRestore;
import io.cryostash.restore.files.OutputLog;
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
        ProcessImage loaded = store.read(imageId);
        checkCompatible(loaded);
        if (loaded.hasTree()) {
            return TreeRestore.restore(store, loaded, options, descriptors, t0);
        }
        Map<String, String> paths = FileResolver.resolve(store.repository().files(), loaded,
                options.allowChangedFiles());
        // what the image itself rules out first, then whether this host has its ids free
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
        Husk[] husk = {null};
        try (Tracer tracer = new Tracer("restore-" + image.id().substring(0, Math.min(12, image.id().length())));
             PageSource pages = store.pages()) {
            tracer.call(p -> {
                husk[0] = spawnHusk(p, image, options.pids(), wantedPid);
                try {
                    finish(p, build(p, husk[0], image, pages, paths, log, descriptors, store, options, sysv, null));
                } catch (RuntimeException e) {
                    husk[0].kill(); // while it is still ours: once the helper exits, its pid may be reused
                    throw e;
                }
                husk[0].releaseInit(p);
                return null;
            });
        } catch (RuntimeException e) {
            OutputLog.discard(log);
            if (husk[0] == null) {
                throw e instanceof RestoreException re ? re : new RestoreException("restore of image " + imageId
                        + " failed before its process was started: " + e.getMessage(), e);
            }
            String killed = " (the half-built process " + husk[0].pid + " was killed)";
            if (e instanceof RestoreException re) {
                throw new RestoreException(re.getMessage() + killed, re);
            }
            if (e instanceof ImageIntegrityException ie) {
                throw new RestoreException("image " + image.id() + " failed verification, nothing was restored"
                        + killed + ": " + ie.getMessage(), ie);
            }
            throw new RestoreException("restore of image " + imageId + " failed: " + e.getMessage() + killed, e);
        }
        if (image.fds().stream().anyMatch(f -> f.kind() == FdEntry.Kind.TERMINAL)) {
            Syscalls.kill(husk[0].pid, SIGWINCH); // on a terminal of another size: full-screen programs redraw
        }
        return new RestoreResult(husk[0].pid, log, System.nanoTime() - t0, husk[0].ownPid, sysv.notes());
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
     */
    static Built build(Ptrace ptrace, Husk husk, ProcessImage image, PageSource pages,
                       Map<String, String> paths, Path log, DescriptorRestore descriptors, ImageStore store,
                       RestoreOptions options, SysvIpcPlan sysv, TreeFds tree) {
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

            // before the other areas: the whole of each attachment is free then
            SysvIpcRestore.restore(remote, mem, page.scratch(), image, sysv, ref -> materialize(store, ref));
            MemoryRestore.mapAreas(remote, mem, image, pages,
                    path -> page.string(0, paths.getOrDefault(path, path)));
            descriptors.restore(remote, mem, page.scratch(), image.fds(), ref -> materialize(store, ref),
                    options.tcpClose(), options.tty(), tree);
            files.fs(image.fs());
            SignalRestore.restore(remote, mem, image.signalActions(), page.scratch(),
                    huskStatus.sigCaught() | huskStatus.sigIgnored());
            ProcessRestore.restore(remote, mem, image, page.scratch());

            // threads are cloned with CLONE_FILES: the descriptors made above are theirs as well
            List<ThreadRestore.Restored> threads = new ArrayList<>();
            ThreadState mainState = image.threads().get(0);
            threads.add(new ThreadRestore.Restored(mainState, pid, remote));
            for (ThreadState t : image.threads().subList(1, image.threads().size())) {
                threads.add(createThread(ptrace, remote, mem, page, t, image));
            }
            ThreadRestore.kernelState(ptrace, mem, threads, page.scratch(), page.syscallInsn());
            PendingSignalRestore.process(remote, mem, page.scratch(), husk.ownPid, image.sharedPendingSignals());
            for (ThreadRestore.Restored t : threads) {
                int ownTid = t.state() == mainState ? husk.ownPid : t.state().tid();
                PendingSignalRestore.thread(t.remote(), mem, page.scratch(), husk.ownPid, ownTid,
                        t.state().pendingSignals());
            }
            CredentialsRestore.allIds(ptrace, threads.stream().map(ThreadRestore.Restored::tid).toList(),
                    page.syscallInsn(), remote, image.credentials());
            // last, once every thread a timer may notify exists: the restore's time does not count
            TimerRestore.restore(remote, mem, image.timers(), page.scratch(), mainState.tid(), husk.ownPid);
            return new Built(husk, threads, remote, page, mem);
        } catch (RuntimeException e) {
            mem.close();
            throw e;
        }
    }

    /** Step 13: the restorer pages go, every thread gets its registers and runs, the main one last. */
    static void finish(Ptrace ptrace, Built b) {
        try (ProcessMemory mem = b.mem()) {
            b.remote().call("munmap restorer", SyscallNumbers.MUNMAP, b.page().address(), RestorerPage.SIZE);
            for (ThreadRestore.Restored t : b.threads()) {
                ThreadRestore.cpuState(ptrace, t.tid(), t.state());
            }
            // the main thread last: until then the process as a whole still looks stopped
            for (int i = b.threads().size() - 1; i >= 0; i--) {
                ptrace.detach(b.threads().get(i).tid());
            }
        }
    }

    private static ThreadRestore.Restored createThread(Ptrace ptrace, RemoteSyscalls main, ProcessMemory mem,
                                                       RestorerPage page, ThreadState t, ProcessImage image) {
        try {
            return ThreadRestore.create(ptrace, main, mem, page.scratch(), page.syscallInsn(), t);
        } catch (TraceeException e) {
            if (Husk.pidInUse(e)) {
                throw PidCheck.inUse(image, t.tid(), e);
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
