// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.cryostash.store.image.ImageIntegrityException;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.image.PageSource;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.Tracer;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.ProcStatus;
import io.cryostash.store.Hashing;
import io.cryostash.agent.remote.Mman;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.files.FileResolver;
import io.cryostash.restore.files.FileRestore;
import io.cryostash.restore.memory.LazyMemory;
import io.cryostash.restore.memory.MemoryRestore;
import io.cryostash.restore.process.CredentialsRestore;
import io.cryostash.restore.process.MmRestore;
import io.cryostash.restore.process.ProcessRestore;
import io.cryostash.restore.signals.SignalRestore;
import io.cryostash.restore.threads.ThreadRestore;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ThreadState;

/**
 * Turns a husk process into the image's process with remote system calls (see
 * docs/architecture.md, "Restore"). Any failure kills the husk: a half-built process never
 * runs, and PTRACE_O_EXITKILL makes the kernel do the same if this JVM dies midway.
 */
public final class Restorer {
    private static final long STOP_TIMEOUT_MS = 5_000;
    private static final int SIGKILL = 9;

    private final ImageStore store;

    public Restorer(ImageStore store) {
        this.store = store;
    }

    public RestoreResult restore(String imageId, RestoreOptions options) {
        long t0 = System.nanoTime();
        ProcessImage image = store.read(imageId);
        checkCompatible(image);
        Map<String, String> paths = FileResolver.resolve(store.repository().files(), image,
                options.allowChangedFiles());
        if (image.threads().size() != 1) {
            throw new RestoreException("image " + imageId + " has " + image.threads().size()
                    + " threads: multi-threaded restore is not supported yet");
        }
        Path log = FileRestore.prepareLog(image.fds(), options.logDir(), image.id(), image.credentials());
        int pid = Husk.start();
        try (Tracer tracer = new Tracer("restore-" + pid); PageSource pages = store.pages()) {
            tracer.call(p -> {
                build(p, pid, image, pages, paths, log, null);
                return null;
            });
        } catch (RuntimeException e) {
            killHusk(pid);
            if (e instanceof RestoreException re) {
                throw re;
            }
            if (e instanceof ImageIntegrityException ie) {
                throw new RestoreException("image " + image.id() + " failed verification, nothing was restored"
                        + " (the half-built process " + pid + " was killed): " + ie.getMessage(), ie);
            }
            throw new RestoreException("restore of image " + imageId + " failed: " + e.getMessage()
                    + " (the half-built process " + pid + " was killed)", e);
        }
        return new RestoreResult(pid, log, System.nanoTime() - t0);
    }

    /**
     * Restores the process and lets it run before its private memory is in ({@code restore
     * --lazy}): that memory comes from the store as the process touches it, and in the
     * background until all of it is in ({@link LazyMemory}). The process stays traced with
     * PTRACE_O_EXITKILL until then, so if this JVM dies first the kernel kills it rather than
     * let it run with memory missing. Call {@link LazyRestore#awaitResident} to finish.
     */
    public LazyRestore restoreLazy(String imageId, RestoreOptions options) {
        long t0 = System.nanoTime();
        ProcessImage image = store.read(imageId);
        checkCompatible(image);
        Map<String, String> paths = FileResolver.resolve(store.repository().files(), image,
                options.allowChangedFiles());
        if (image.threads().size() != 1) {
            throw new RestoreException("image " + imageId + " has " + image.threads().size()
                    + " threads: multi-threaded restore is not supported yet");
        }
        Path log = FileRestore.prepareLog(image.fds(), options.logDir(), image.id(), image.credentials());
        int pid = Husk.start();
        Tracer tracer = new Tracer("restore-" + pid);
        PageSource pages = store.pages();
        LazyMemory lazy = LazyMemory.of(pid, image.id(), store.repository().chunks(), image.areas());
        try {
            tracer.call(p -> {
                build(p, pid, image, pages, paths, log, lazy);
                return null;
            });
        } catch (RuntimeException e) {
            String served = lazy.failure(); // a fault the husk took while being built, e.g. a corrupt chunk
            if (served != null) {
                e = new RestoreException("restore --lazy of image " + imageId + " failed and its process " + pid
                        + " was killed: " + served, e);
            }
            lazy.abandon("restore failed");
            lazy.close();
            tracer.close();
            pages.close();
            killHusk(pid);
            if (e instanceof RestoreException re) {
                throw re;
            }
            throw new RestoreException("restore --lazy of image " + imageId + " failed: " + e.getMessage()
                    + " (the half-built process " + pid + " was killed)", e);
        }
        return new LazyRestore(pid, log, System.nanoTime() - t0, tracer, lazy, pages);
    }

    private static void checkCompatible(ProcessImage image) {
        String arch = System.getProperty("os.arch");
        if (image.host() != null && image.host().arch() != null && !image.host().arch().equals(arch)) {
            throw new RestoreException("image " + image.id() + " is for " + image.host().arch() + ", this host is "
                    + arch);
        }
    }

    /** @param lazy null: write every page now and detach; else leave its areas to it and keep tracing */
    private static void build(Ptrace ptrace, int pid, ProcessImage image, PageSource pages,
                              Map<String, String> paths, Path log, LazyMemory lazy) {
        ptrace.seize(pid, Ptrace.PTRACE_O_EXITKILL);
        ptrace.interrupt(pid);
        WaitStatus st = ptrace.waitFor(pid, STOP_TIMEOUT_MS);
        if (!st.isInterruptStop()) {
            throw new RestoreException("the husk " + pid + " did not stop as expected: " + st);
        }
        List<MapsEntry> huskMaps = Maps.read(pid);
        ProcStatus huskStatus = ProcStatus.read(pid);
        try (ProcessMemory mem = new ProcessMemory(pid, true)) {
            checkVdso(image, huskMaps, mem);
            RemoteSyscalls remote = new RemoteSyscalls(ptrace, pid,
                    RemoteSyscalls.findSyscallInstruction(pid, huskMaps, mem));
            List<long[]> used = new ArrayList<>();
            huskMaps.forEach(e -> used.add(new long[] {e.start(), e.end()}));
            image.areas().forEach(a -> used.add(new long[] {a.start(), a.end()}));
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
            files.openRedirected(image.fds(), log);
            CredentialsRestore.fileSystemIds(remote, mem, image.credentials(), page.scratch());

            MemoryRestore.mapAreas(remote, mem, image, pages,
                    path -> page.string(0, paths.getOrDefault(path, path)),
                    lazy == null ? a -> false : LazyMemory::isLazy);
            if (lazy != null) { // before the credentials drop: creating a userfaultfd needs privilege here
                lazy.register(remote, mem, page.scratch());
            }
            files.openFiles(image.fds());
            files.fs(image.fs());
            SignalRestore.restore(remote, mem, image.signalActions(), page.scratch(),
                    huskStatus.sigCaught() | huskStatus.sigIgnored());
            ProcessRestore.restore(remote, mem, image, page.scratch());
            ThreadState thread = image.threads().get(0);
            ThreadRestore.kernelState(remote, mem, thread, page.scratch());
            CredentialsRestore.allIds(remote, image.credentials());
            remote.call("munmap restorer", SyscallNumbers.MUNMAP, page.address(), RestorerPage.SIZE);
            ThreadRestore.cpuState(ptrace, pid, thread);
        }
        if (lazy == null) {
            ptrace.detach(pid);
        } else {
            ptrace.cont(pid, 0); // runs now, still traced: EXITKILL until all of its memory is in
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

    private static void killHusk(int pid) {
        try {
            Syscalls.kill(pid, SIGKILL);
        } catch (TraceeException alreadyGone) {
            // nothing left to kill
        }
    }
}
