// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.Tracer;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.agent.proc.Limits;
import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.NoSuchProcessException;
import io.cryostash.agent.proc.ProcFiles;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.proc.ProcStatus;
import io.cryostash.agent.proc.SmapsRollup;
import io.cryostash.agent.remote.RemoteScratch;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.capture.files.FileCapture;
import io.cryostash.capture.memory.MemoryCapture;
import io.cryostash.capture.memory.PageBuffers;
import io.cryostash.capture.memory.PreCopy;
import io.cryostash.capture.memory.IncrementalPreCopy;
import io.cryostash.capture.memory.ResidentPages;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.capture.memory.WriteTracking;
import io.cryostash.capture.spool.CaptureSpool;
import io.cryostash.agent.tracking.KernelFeatures;
import io.cryostash.agent.tracking.TrackingState;
import io.cryostash.schema.image.Rlimit;
import io.cryostash.capture.process.ProcessCapture;
import io.cryostash.capture.signals.SignalCapture;
import io.cryostash.capture.threads.ThreadCapture;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.SignalAction;
import io.cryostash.schema.image.ThreadState;

/**
 * Freezes a process, reads its state, lets it go (or, with kill, keeps it frozen until the image
 * is durable and then kills it), and writes the image.
 *
 * <p>The freeze window covers only reading state into this JVM's memory; writing the image
 * happens after the process runs again. If this JVM dies mid-capture the kernel detaches the
 * tracee and it runs on: nothing here may defeat that (no SIGSTOP, no PTRACE_O_EXITKILL).
 */
public final class Capturer {
    private static final long STOP_TIMEOUT_MS = 5_000;
    private static final int SIGKILL = 9;

    private final ImageStore store;
    private final AreaChunker chunker;
    private final KernelFeatures features;
    private java.nio.file.Path spoolDir = CaptureSpool.defaultDir();
    /** Copy buffers kept between captures (see {@link PageBuffers#reuse}). */
    private final java.util.concurrent.atomic.AtomicReference<PageBuffers> keptBuffers =
            new java.util.concurrent.atomic.AtomicReference<>();

    public Capturer(ImageStore store) {
        this(store, new AreaChunker());
    }

    public Capturer(ImageStore store, AreaChunker chunker) {
        this(store, chunker, KernelFeatures.probe());
    }

    public Capturer(ImageStore store, AreaChunker chunker, KernelFeatures features) {
        this.store = store;
        this.chunker = chunker;
        this.features = features;
    }

    public CaptureResult capture(int pid, CaptureOptions options) {
        long t0 = System.nanoTime();
        preflight(pid);
        ProcessImage parent = options.parent() == null ? null : store.read(options.parent());
        long expectedBytes;
        try {
            expectedBytes = SmapsRollup.read(pid).privateBytes();
        } catch (RuntimeException e) { // it exited after preflight: a zombie's smaps_rollup reads ESRCH
            throw new CaptureException(goneOrZombie(pid) ? "pid " + pid + " exited before it could be frozen"
                    : "cannot read the memory size of pid " + pid + ": " + e.getMessage(), e);
        }
        // one capture at a time uses the kept buffers; a concurrent one gets its own
        PageBuffers kept = keptBuffers.getAndSet(null);
        PageBuffers buffers = kept != null ? kept.reuse(expectedBytes) : new PageBuffers(expectedBytes);
        try {
            return capture(pid, options, t0, parent, buffers);
        } finally {
            keptBuffers.set(buffers);
        }
    }

    private CaptureResult capture(int pid, CaptureOptions options, long t0, ProcessImage parent, PageBuffers buffers) {
        try (Tracer tracer = new Tracer("capture-" + pid)) {
            TrackingState state = new TrackingState(ImageStore.stateDir(), pid, ProcStat.read(pid).startTime());
            ImageWriter preWriter = null;
            Map<Long, AreaChunks> preCopied = null;
            long armedFor = 0;
            FreezeClock clock = new FreezeClock();
            if (options.preCopy() && features.canTrackWrites()) {
                preWriter = store.newImage();
                try {
                    armedFor = tracer.call(p -> arm(p, pid, state));
                    long copyStart = System.nanoTime();
                    preCopied = PreCopy.copy(pid, Maps.read(pid), preWriter, chunker);
                    clock.preCopy(System.nanoTime() - copyStart);
                } catch (RuntimeException e) {
                    closeQuietly(preWriter);
                    throw e;
                }
            }
            Map<Long, MemoryCapture.PreCopiedArea> early = null;
            if (!options.preCopy() && !options.kill() && parent != null && features.canTrackWrites()) {
                // leave-running incremental capture: copy what was written since the parent while
                // the process runs, so the freeze only copies what it writes meanwhile
                long copyStart = System.nanoTime();
                try (ResidentPages resident = new ResidentPages(pid, features.pagemapScan())) {
                    early = IncrementalPreCopy.copy(pid, parent, state, chunker, buffers, resident);
                } catch (RuntimeException e) { // the process was never stopped: nothing to release
                    throw new CaptureException(goneOrZombie(pid) ? "pid " + pid + " exited before it could be frozen"
                            : "copying the memory of pid " + pid + " while it ran failed: " + e.getMessage()
                            + "; it was not stopped and no image was written", e);
                }
                clock.preCopy(System.nanoTime() - copyStart);
            }
            Map<Long, AreaChunks> baseline = preCopied;
            Map<Long, MemoryCapture.PreCopiedArea> earlyPages = early;
            Frozen frozen;
            try {
                frozen = tracer.call(p -> freeze(p, pid, buffers, parent, baseline, earlyPages,
                        options.track(), state, clock));
            } catch (RuntimeException e) {
                closeQuietly(preWriter);
                throw e;
            }
            long released = 0;
            ProcessImage written;
            CaptureSpool.Entry spooled = null;
            try {
                if (!options.kill()) {
                    released = tracer.call(p -> resume(p, pid));
                    clock.lap(FreezePhase.RESUME);
                } else {
                    // a pre-copy pass stored part of the memory through its own writer, which the
                    // spool cannot name: such captures keep the process frozen until stored
                    spooled = preWriter == null ? spool(frozen, parent) : null;
                    if (spooled != null) { // its state is safe on local disk: it need not wait for the store
                        released = tracer.call(p -> {
                            Syscalls.kill(pid, SIGKILL);
                            return System.nanoTime();
                        });
                        clock.lap(FreezePhase.RESUME);
                    }
                }
                written = ImageArchive.write(store, preWriter, chunker, frozen.image(), frozen.memory(), parent,
                        frozen.tracking().label());
                if (frozen.tracking().active()) {
                    state.stored(written.id());
                }
            } catch (RuntimeException e) {
                if (spooled != null) {
                    spooled.close(); // left for the next command that opens this store (SpoolReplay)
                    throw new CaptureException("pid " + pid + " was killed once its state was spooled to "
                            + spooled.dir() + ", but storing the image failed: " + e.getMessage() + "; the next"
                            + " cryostash command that opens store " + store.location() + " stores it", e);
                }
                if (options.kill()) {
                    tracer.call(p -> resume(p, pid)); // no image, so the process must live on
                }
                throw e;
            }
            if (spooled != null) {
                spooled.delete();
            } else if (options.kill()) {
                released = tracer.call(p -> {
                    Syscalls.kill(pid, SIGKILL);
                    return System.nanoTime();
                });
                clock.lap(FreezePhase.RESUME);
            }
            long freeze = armedFor + released - frozen.frozenAt();
            return new CaptureResult(written, freeze, System.nanoTime() - t0, frozen.memory().bytes(), clock.phases());
        }
    }

    /**
     * Writes a --kill capture's state to the local spool (fsynced), or returns null when there is
     * no spool or it cannot be written: the capture then keeps the process frozen until the
     * image is stored, as without a spool.
     */
    private CaptureSpool.Entry spool(Frozen frozen, ProcessImage parent) {
        if (spoolDir == null) {
            return null;
        }
        for (io.cryostash.capture.memory.CapturedArea c : frozen.memory().areas()) {
            if (c.parent() != null && parent == null) { // a baseline the spool could not find again
                return null;
            }
        }
        try {
            return CaptureSpool.write(spoolDir, store.location(), AreaChunker.DEFAULT_PAGE_SIZE,
                    chunker.chunkSize() / AreaChunker.DEFAULT_PAGE_SIZE, frozen.image(), frozen.memory(),
                    parent == null ? null : parent.id(), frozen.tracking().label());
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(Capturer.class).warn("{}; the process stays frozen until the image"
                    + " is stored", e.getMessage());
            return null;
        }
    }

    /**
     * Where --kill captures put the process's state before killing it ({@link CaptureSpool});
     * null: keep it frozen until the image is stored. Default: {@link CaptureSpool#defaultDir()}.
     */
    public Capturer spoolTo(java.nio.file.Path dir) {
        this.spoolDir = dir;
        return this;
    }

    private record Frozen(ProcessImage image, MemoryCapture.Result memory, WriteTracking tracking, long frozenAt) {
    }

    private static void preflight(int pid) {
        if (pid <= 0) {
            throw new CaptureException("invalid pid " + pid);
        }
        if (pid == ProcessHandle.current().pid()) {
            throw new CaptureException("pid " + pid + " is this Cryostash process itself");
        }
        ProcStat stat;
        try {
            stat = ProcStat.read(pid);
        } catch (NoSuchProcessException e) {
            throw new CaptureException(e.getMessage());
        }
        if (stat.isKernelThread()) {
            throw new CaptureException("pid " + pid + " (" + stat.comm() + ") is a kernel thread: it has no user"
                    + " memory to checkpoint");
        }
        if (stat.state() == 'Z' || stat.state() == 'X') {
            throw new CaptureException("pid " + pid + " (" + stat.comm() + ") is a zombie: it has exited and only"
                    + " waits for its parent to reap it");
        }
        if (stat.state() == 'T') { // remote system calls in a group-stopped tracee end in the group stop
            throw new CaptureException("pid " + pid + " (" + stat.comm() + ") is stopped (by SIGSTOP or job"
                    + " control): checkpointing stopped processes is not supported yet; resume it with kill -CONT first");
        }
        int tracer = tracerOf(pid);
        if (tracer != 0) { // PTRACE_SEIZE would fail with EPERM, which reads like missing privileges
            throw new CaptureException("pid " + pid + " (" + stat.comm() + ") is already traced by pid " + tracer
                    + " (a debugger, strace or another checkpoint); detach that first");
        }
        rejectThreads(pid, stat.comm());
    }

    /** TracerPid of /proc/PID/status; 0 when untraced or unreadable (seize then reports the problem). */
    private static int tracerOf(int pid) {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("TracerPid:")) {
                    return Integer.parseInt(line.substring("TracerPid:".length()).trim());
                }
            }
        } catch (java.io.IOException | NumberFormatException unreadable) {
            // fall through
        }
        return 0;
    }

    private static void rejectThreads(int pid, String comm) {
        int n = ProcFiles.tasks(pid).size();
        if (n > 1) {
            throw new CaptureException("pid " + pid + " (" + comm + ") has " + n + " threads: multi-threaded"
                    + " processes are not supported yet (only single-threaded ones)");
        }
    }

    /**
     * A short freeze before a pre-copy: arm the write tracker on every private area and
     * write-protect them, then let the process run while its memory is copied.
     */
    /** @return how long the process was stopped */
    private long arm(Ptrace ptrace, int pid, TrackingState state) {
        try {
            ptrace.seize(pid, 0);
        } catch (TraceeException e) {
            throw new CaptureException(goneOrZombie(pid) ? "pid " + pid + " exited before it could be frozen"
                    : "cannot attach to pid " + pid + ": " + e.getMessage(), e);
        }
        long t0 = System.nanoTime();
        try {
            stopForCapture(ptrace, pid);
            rejectThreads(pid, ProcStat.read(pid).comm());
            List<MapsEntry> maps = Maps.read(pid);
            WriteTracking armed;
            try (ProcessMemory mem = new ProcessMemory(pid, true)) {
                RemoteSyscalls remote = new RemoteSyscalls(ptrace, pid,
                        RemoteSyscalls.findSyscallInstruction(pid, maps, mem));
                try (RemoteScratch scratch = RemoteScratch.belowStack(remote, mem, ptrace.getRegs(pid).rsp(), maps)) {
                    armed = WriteTracking.arm(pid, maps, state, remote, mem, scratch.address(),
                            nofileSoftLimit(Limits.read(pid)));
                }
                parkInInterruptStop(ptrace, pid);
            }
            armed.reset(pid);
            ptrace.detach(pid);
            return System.nanoTime() - t0;
        } catch (RuntimeException e) {
            releaseAfterFailure(ptrace, pid);
            throw e instanceof CaptureException ? e : new CaptureException("arming the pre-copy of pid " + pid
                    + " failed: " + e.getMessage() + "; the process was resumed and no image was written", e);
        }
    }

    private static void closeQuietly(ImageWriter w) {
        if (w != null) {
            try {
                w.close();
            } catch (java.io.IOException ignored) {
                // abandoned: its packs are left to GC
            }
        }
    }

    private Frozen freeze(Ptrace ptrace, int pid, PageBuffers buffers, ProcessImage parent,
                          Map<Long, AreaChunks> preCopied, Map<Long, MemoryCapture.PreCopiedArea> early,
                          boolean track, TrackingState state, FreezeClock clock) {
        try {
            ptrace.seize(pid, 0);
        } catch (TraceeException e) {
            // a process that exited after preflight is a zombie now, and seizing a zombie fails with EPERM
            throw new CaptureException(e.errno() == 3 || goneOrZombie(pid) ? "pid " + pid
                    + " exited before it could be frozen" : "cannot attach to pid " + pid + ": " + e.getMessage(), e);
        }
        long frozenAt = System.nanoTime();
        clock.restart();
        try {
            stopForCapture(ptrace, pid);
            ProcStat stat = ProcStat.read(pid);
            rejectThreads(pid, stat.comm());
            List<MapsEntry> maps = Maps.read(pid);
            if (maps.isEmpty()) {
                throw new CaptureException("pid " + pid + " has no memory map (a kernel thread or exiting)");
            }
            ProcStatus status = ProcStatus.read(pid);
            ThreadState thread;
            List<SignalAction> signals;
            long brk;
            MemoryCapture.Result memory;
            WriteTracking tracking;
            List<Rlimit> limits = Limits.read(pid);
            try (ProcessMemory mem = new ProcessMemory(pid, true)) {
                clock.lap(FreezePhase.STOP);
                RemoteSyscalls remote = new RemoteSyscalls(ptrace, pid,
                        RemoteSyscalls.findSyscallInstruction(pid, maps, mem));
                try (RemoteScratch scratch = RemoteScratch.belowStack(remote, mem, ptrace.getRegs(pid).rsp(), maps)) {
                    clock.lap(FreezePhase.REMOTE_CALLS);
                    thread = ThreadCapture.capture(ptrace, pid, remote, scratch);
                    clock.lap(FreezePhase.REGISTERS);
                    signals = SignalCapture.capture(remote, scratch, status.sigCaught() | status.sigIgnored());
                    brk = remote.call("brk(0)", SyscallNumbers.BRK, 0);
                    clock.lap(FreezePhase.REMOTE_CALLS);
                    tracking = WriteTracking.prepare(pid, maps, parent, preCopied, early, track, features, state,
                            remote, mem, scratch.address(), nofileSoftLimit(limits), chunker);
                    clock.lap(FreezePhase.TRACKING_SCAN);
                }
                parkInInterruptStop(ptrace, pid);
                clock.lap(FreezePhase.REMOTE_CALLS);
                // tracked areas were write-protected again by prepare's walk: nothing to reset after
                try (ResidentPages resident = new ResidentPages(pid, features.pagemapScan())) {
                    memory = MemoryCapture.capture(pid, maps, mem, buffers, tracking.plans(), resident);
                    clock.lap(FreezePhase.MEMORY_COPY);
                    clock.move(FreezePhase.MEMORY_COPY, FreezePhase.TRACKING_SCAN, resident.nanos());
                }
            }
            String exe = ProcFiles.link(pid, "exe");
            // areas and file contents are filled in by ImageArchive once the process runs again
            ProcessImage image = new ProcessImage(ProcessImage.FORMAT_VERSION, null, null, null, Instant.now(),
                    ProcessCapture.host(memory.vdsoSha256(), thread.xstate().length),
                    ProcessCapture.identity(pid, stat), ProcessCapture.credentials(status),
                    ProcessCapture.mm(pid, stat, brk, exe), List.of(), List.of(thread), signals,
                    FileCapture.fs(pid, status.umask()), FileCapture.descriptors(pid), limits,
                    ProcessCapture.fingerprints(exe, maps));
            clock.lap(FreezePhase.FILES);
            return new Frozen(image, memory, tracking, frozenAt);
        } catch (RuntimeException e) {
            releaseAfterFailure(ptrace, pid);
            if (e instanceof NoSuchProcessException || (e instanceof TraceeException te && te.errno() == 3)
                    || goneOrZombie(pid)) { // killed during the freeze: a zombie still "exists" for kill(pid, 0)
                throw new CaptureException("pid " + pid + " exited during the capture; no image was written", e);
            }
            throw e instanceof CaptureException ? e : new CaptureException("capture of pid " + pid + " failed: "
                    + e.getMessage() + "; the process was resumed and no image was written", e);
        }
    }

    /**
     * Interrupts the tracee and waits for the interrupt stop. A signal that arrives first shows
     * up as a signal-delivery stop; it is passed on, and the interrupt stop follows.
     */
    private static void stopForCapture(Ptrace ptrace, int pid) {
        ptrace.interrupt(pid);
        for (int i = 0; i < 64; i++) {
            WaitStatus st = ptrace.waitFor(pid, STOP_TIMEOUT_MS);
            if (!st.stopped()) {
                throw new CaptureException("pid " + pid + " " + st + " while being frozen; no image was written");
            }
            if (st.isInterruptStop()) {
                return;
            }
            if (st.event() == 0) {
                ptrace.cont(pid, st.stopSignal());
            } else {
                ptrace.cont(pid, 0);
            }
        }
        throw new CaptureException("pid " + pid + " keeps receiving signals; it could not be frozen");
    }

    private static long nofileSoftLimit(List<Rlimit> limits) {
        return limits.stream().filter(l -> l.resource() == 7).mapToLong(Rlimit::soft)
                .map(v -> v < 0 ? 1 << 20 : v).findFirst().orElse(1024);
    }

    /** PF_EXITING: set as soon as the kernel starts tearing a process down, before it is a zombie. */
    private static final long PF_EXITING = 0x4;

    private static boolean goneOrZombie(int pid) {
        try {
            ProcStat st = ProcStat.read(pid);
            return st.state() == 'Z' || st.state() == 'X' || (st.flags() & PF_EXITING) != 0;
        } catch (RuntimeException gone) {
            return true;
        }
    }

    /**
     * Remote system calls leave the tracee in the signal-delivery stop of the SIGTRAP that ended
     * their last single step. Should this JVM die there, the kernel detaches the tracee and
     * delivers that SIGTRAP, which kills it. A pending interrupt plus PTRACE_CONT without a
     * signal moves it into an interrupt (event) stop before it returns to user space, and a
     * tracer's death just lets it run on from there.
     */
    private static void parkInInterruptStop(Ptrace ptrace, int pid) {
        ptrace.interrupt(pid);
        ptrace.cont(pid, 0);
        WaitStatus st = ptrace.waitFor(pid, STOP_TIMEOUT_MS);
        if (!st.isInterruptStop()) {
            throw new CaptureException("pid " + pid + " did not return to an interrupt stop after the remote system"
                    + " calls (" + st + "); no image was written");
        }
    }

    /** Lets the process run on; returns when that happened. */
    private static long resume(Ptrace ptrace, int pid) {
        ptrace.detach(pid);
        return System.nanoTime();
    }

    private static void releaseAfterFailure(Ptrace ptrace, int pid) {
        try {
            ptrace.detach(pid);
        } catch (TraceeException gone) {
            // exited meanwhile, or never stopped: either way nothing is left stopped by us
        }
    }
}
