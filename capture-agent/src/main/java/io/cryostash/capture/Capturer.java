// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.Tracer;
import io.cryostash.agent.proc.Limits;
import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.VmFlags;
import io.cryostash.capture.memory.AreaSettings;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.NoSuchProcessException;
import io.cryostash.agent.proc.ProcFiles;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.proc.ProcStatus;
import io.cryostash.agent.proc.SmapsRollup;
import io.cryostash.agent.remote.RemoteScratch;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.agent.network.NetworkLocks;
import io.cryostash.capture.files.ConnectionPolicy;
import io.cryostash.capture.files.DescriptorCapture;
import io.cryostash.capture.files.FileCapture;
import io.cryostash.capture.files.RepairGuard;
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
import io.cryostash.capture.signals.PendingSignalCapture;
import io.cryostash.capture.signals.SignalCapture;
import io.cryostash.capture.threads.FrozenThreads;
import io.cryostash.capture.threads.ThreadCapture;
import io.cryostash.capture.sysvipc.SysvIpcCapture;
import io.cryostash.capture.sysvipc.SysvSelection;
import io.cryostash.capture.timers.TimerCapture;
import io.cryostash.schema.image.PendingSignal;
import io.cryostash.schema.image.ProcessTimers;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.SignalAction;
import io.cryostash.schema.image.ThreadState;

/**
 * Freezes a process, reads its state, lets it go (or, with kill, keeps it frozen until its state
 * is in the {@link CaptureSpool}, where this JVM's death cannot lose it — or, without a spool,
 * until the image is stored — and then kills it), and writes the image.
 *
 * <p>The freeze window covers only reading state into this JVM's memory; writing the image
 * happens after the process runs again. If this JVM dies mid-capture the tracer helper puts
 * every thread back and detaches it, and it runs on: nothing here may defeat that (no SIGSTOP,
 * no PTRACE_O_EXITKILL).
 */
public final class Capturer {
    private static final long STOP_TIMEOUT_MS = 5_000;
    private static final int SIGKILL = 9;

    private final ImageStore store;
    private final AreaChunker chunker;
    private final KernelFeatures features;
    private final java.util.function.Supplier<NetworkLocks> networkLocks;
    private java.nio.file.Path spoolDir = CaptureSpool.defaultDir();
    private final DescriptorCapture descriptors = DescriptorKinds.standard();
    /** Copy buffers kept between captures (see {@link PageBuffers#reuse}). */
    private io.cryostash.capture.memory.KeptBuffers keptBuffers = io.cryostash.capture.memory.KeptBuffers.unbounded();

    public Capturer(ImageStore store) {
        this(store, new AreaChunker());
    }

    public Capturer(ImageStore store, AreaChunker chunker) {
        this(store, chunker, KernelFeatures.probe());
    }

    public Capturer(ImageStore store, AreaChunker chunker, KernelFeatures features) {
        this(store, chunker, features, NetworkLocks::onThisHost);
    }

    /**
     * @param networkLocks this host's network locks, or null where nft is not installed (looked up
     *                     at each capture that kills a process with TCP connections)
     */
    public Capturer(ImageStore store, AreaChunker chunker, KernelFeatures features,
                    java.util.function.Supplier<NetworkLocks> networkLocks) {
        this.store = store;
        this.chunker = chunker;
        this.features = features;
        this.networkLocks = networkLocks;
    }

    /** What a capture with these options may do about TCP connections. */
    ConnectionPolicy connections(CaptureOptions options) {
        return options.connections(options.kill() && options.networkLock() ? networkLocks.get() : null);
    }

    /**
     * Captures the process and all its descendants into one image ({@code checkpoint --tree}):
     * see {@link TreeCapture}.
     */
    public CaptureResult captureTree(int pid, CaptureOptions options) {
        return new TreeCapture(this, store, chunker).capture(pid, options);
    }

    public CaptureResult capture(int pid, CaptureOptions options) {
        long t0 = System.nanoTime();
        if (!options.memberLosses().isEmpty()) {
            throw new CaptureException("descriptors of other processes (" + options.memberLosses().keySet().stream()
                    .map(p -> "pid " + p).collect(java.util.stream.Collectors.joining(", ")) + ") can be given up only"
                    + " with --tree, which takes pid " + pid + "'s descendants too; alone, --close-fd and --redirect-fd"
                    + " name descriptors of pid " + pid);
        }
        preflight(pid);
        SysvIpcCapture.checkNamespace(pid);
        checkDescriptors(pid, options.losses(), Set.of());
        if (options.kill()) {
            RestorableCheck.requireNoChildren(pid, ProcStat.read(pid).comm());
        }
        ProcessImage parent = options.parent() == null ? null : store.readParent(options.parent());
        long expectedBytes;
        try {
            expectedBytes = SmapsRollup.read(pid).privateBytes();
        } catch (RuntimeException e) { // it exited after preflight: a zombie's smaps_rollup reads ESRCH
            throw new CaptureException(goneOrZombie(pid) ? "pid " + pid + " exited before it could be frozen"
                    : "cannot read the memory size of pid " + pid + ": " + e.getMessage(), e);
        }
        PageBuffers buffers = keptBuffers.take(expectedBytes);
        CaptureResult r;
        try {
            r = capture(pid, options, t0, parent, buffers);
        } finally {
            keptBuffers.give(buffers);
        }
        return withLeftOutChildren(pid, r);
    }

    /** Alone, a process's children are not in its image: the notes name them (after the freeze). */
    private static CaptureResult withLeftOutChildren(int pid, CaptureResult r) {
        List<String> children = new java.util.ArrayList<>();
        for (ProcStat c : io.cryostash.capture.tree.Descendants.of(pid)) {
            if (c.ppid() == pid) {
                children.add(c.pid() + " (" + c.comm() + ")");
            }
        }
        if (children.isEmpty()) {
            return r;
        }
        List<String> notes = new java.util.ArrayList<>(r.notes());
        notes.add("its children were left out (checkpoint --tree takes them too): pid " + String.join(", pid ", children));
        return new CaptureResult(r.image(), r.freezeNanos(), r.totalNanos(), r.memoryBytes(), r.phases(), notes);
    }

    private CaptureResult capture(int pid, CaptureOptions options, long t0, ProcessImage parent, PageBuffers buffers) {
        try (Tracer tracer = new Tracer("capture-" + pid)) {
            long startTime = ProcStat.read(pid).startTime();
            TrackingState state = new TrackingState(ImageStore.stateDir(), pid, startTime);
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
                        options.track(), state, clock, options.losses(), options.sysv(), null, Set.of(), connections(options)));
            } catch (RuntimeException e) {
                closeQuietly(preWriter);
                throw e;
            }
            long released = 0;
            ProcessImage written;
            if (options.kill()) { // frozen until killed: no child can appear after this look
                try {
                    RestorableCheck.requireNoChildren(pid, frozen.image().process().comm());
                } catch (CaptureException e) {
                    frozen.fds().release(false);
                    tracer.call(p -> resume(frozen.threads()));
                    closeQuietly(preWriter);
                    throw e;
                }
            }
            CaptureSpool.Entry spooled = null;
            ImageArchive.AreasAhead ahead = null;
            try {
                if (!options.kill()) {
                    released = tracer.call(p -> resume(frozen.threads()));
                    frozen.fds().release(false);
                    clock.lap(FreezePhase.RESUME);
                } else {
                    // a pre-copy pass stored part of the memory through its own writer, which the
                    // spool cannot name: such captures keep the process frozen until stored
                    ImageArchive.WhileSpooling meanwhile = preWriter == null
                            ? ImageArchive.WhileSpooling.start(store, chunker, frozen.memory()) : null;
                    try {
                        spooled = preWriter == null ? spool(frozen, parent, startTime) : null;
                    } finally {
                        if (meanwhile != null) {
                            ahead = meanwhile.spoolWritten();
                        }
                    }
                    if (spooled != null) { // its state is safe on local disk: it need not wait for the store
                        try {
                            released = kill(tracer, pid, frozen.fds(), frozen.threads());
                        } catch (RuntimeException notKilled) {
                            if (!goneOrZombie(pid)) { // it lives on: the spool must not store it again
                                spooled.delete();
                                spooled = null;
                                throw notKilled;
                            }
                            released = System.nanoTime(); // it died anyway: the spool is all that is left
                        }
                        clock.lap(FreezePhase.RESUME);
                    }
                }
                written = ahead != null
                        ? ahead.commit(store, frozen.image(), parent, frozen.tracking().label(), frozen.fds(), frozen.sysv())
                        : ImageArchive.write(store, preWriter, chunker, frozen.image(), frozen.memory(), parent,
                        frozen.tracking().label(), frozen.fds(), frozen.sysv());
                ahead = null;
                if (frozen.tracking().active()) {
                    state.stored(written.id());
                }
            } catch (RuntimeException e) {
                if (ahead != null) {
                    ahead.abandon();
                }
                if (spooled != null) {
                    String unsynced = "";
                    try {
                        spooled.makeDurable(); // it outlives this command: it must outlive a restart too
                    } catch (RuntimeException notSynced) {
                        unsynced = " (" + notSynced.getMessage() + ": a restart of the machine before then loses it)";
                    }
                    spooled.close(); // left for the next command that opens this store (SpoolReplay)
                    throw new CaptureException("pid " + pid + " was killed once its state was spooled to "
                            + spooled.dir() + ", but storing the image failed: " + e.getMessage() + "; the next"
                            + " cryostash command that opens store " + store.location() + " stores it" + unsynced, e);
                }
                if (options.kill()) {
                    frozen.fds().release(false);
                    tracer.call(p -> resume(frozen.threads())); // no image, so the process must live on
                }
                throw e;
            }
            if (spooled != null) {
                spooled.deleteInBackground();
            } else if (options.kill()) {
                released = kill(tracer, pid, frozen.fds(), frozen.threads());
                clock.lap(FreezePhase.RESUME);
            }
            long freeze = armedFor + released - frozen.frozenAt();
            return new CaptureResult(written, freeze, System.nanoTime() - t0, frozen.memory().bytes(), clock.phases(),
                    frozen.fds().notes());
        }
    }

    /**
     * Kills the frozen process. Its TCP connections go back into repair mode first (they were
     * taken out of it once their queues were read), so its death sends the peer nothing; then the
     * agent's copies of its sockets go.
     *
     * @return when it was killed
     */
    private static long kill(Tracer tracer, int pid, DescriptorCapture.Result fds, FrozenThreads threads) {
        fds.beforeKill(); // still frozen: its connections close silently
        long killedAt = tracer.call(p -> {
            Syscalls.kill(pid, SIGKILL);
            long at = System.nanoTime();
            threads.reapKilled(); // so that its parent can reap it
            return at;
        });
        try {
            fds.release(true);
        } catch (RuntimeException e) { // the process is dead and its state safe: this must not undo that
            org.slf4j.LoggerFactory.getLogger(Capturer.class).warn("pid {} was killed, but closing the agent's"
                    + " copies of its sockets failed: {}", pid, e.getMessage());
        }
        return killedAt;
    }

    /**
     * Writes a --kill capture's state to the local spool (see CaptureSpool), or returns null when there is
     * no spool or it cannot be written: the capture then keeps the process frozen until the
     * image is stored, as without a spool.
     */
    private CaptureSpool.Entry spool(Frozen frozen, ProcessImage parent, long startTime) {
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
                    chunker.chunkSize() / AreaChunker.DEFAULT_PAGE_SIZE, startTime, frozen.image(), frozen.memory(),
                    frozen.fds().contents(), frozen.sysv(), parent == null ? null : parent.id(), frozen.tracking().label());
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(Capturer.class).warn("{}; the process stays frozen until the image"
                    + " is stored", e.getMessage());
            return null;
        }
    }

    /** Keeps copy buffers in {@code kept}, which other capturers may share (one process's commands). */
    public Capturer keepingBuffersIn(io.cryostash.capture.memory.KeptBuffers kept) {
        this.keptBuffers = kept;
        return this;
    }

    /**
     * Where --kill captures put the process's state before killing it ({@link CaptureSpool});
     * null: keep it frozen until the image is stored. Default: {@link CaptureSpool#defaultDir()}.
     */
    public Capturer spoolTo(java.nio.file.Path dir) {
        this.spoolDir = dir;
        return this;
    }

    record Frozen(ProcessImage image, MemoryCapture.Result memory, WriteTracking tracking, long frozenAt,
                  DescriptorCapture.Result fds, FrozenThreads threads, SysvIpcCapture.Captured sysv) {
    }

    static void preflight(int pid) {
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
            int others = liveThreads(pid) - 1;
            if (others > 0) { // pthread_exit in main(): the leader is a zombie until the last thread ends
                throw new CaptureException("pid " + pid + " (" + stat.comm() + "): its main thread has exited while "
                        + others + " other thread(s) run on; a process in that state cannot be checkpointed yet");
            }
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
        RestorableCheck.require(pid, stat.comm());
        // memory a restore could not rebuild (AreaSettings) is refused inside the freeze, before
        // anything is spooled or killed: smaps costs 20-45 ms a resident GiB, once is enough
    }

    /**
     * Refuses what cannot be saved before the process is stopped. A process that exits meanwhile
     * loses its descriptors under the reader: that is told as the exit it is, not as descriptors
     * "closed while being read".
     */
    void checkDescriptors(int pid, FdLosses losses, Set<Integer> members) {
        try {
            descriptors.check(pid, ProcStat.read(pid).comm(), losses, members);
        } catch (RuntimeException e) { // a refusal, or /proc/PID/fd gone under the reader
            if (goneOrZombie(pid)) {
                throw new CaptureException("pid " + pid + " exited before it could be frozen", e);
            }
            throw e;
        }
    }

    private static int liveThreads(int pid) {
        try {
            return ProcFiles.tasks(pid).size();
        } catch (RuntimeException gone) {
            return 0;
        }
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

    /**
     * A short freeze before a pre-copy: arm the write tracker on every private area and
     * write-protect them, then let the process run while its memory is copied.
     */
    /** @return how long the process was stopped */
    private long arm(Ptrace ptrace, int pid, TrackingState state) {
        long t0 = System.nanoTime();
        FrozenThreads threads = seizeAll(ptrace, pid);
        try {
            List<MapsEntry> maps = Maps.read(pid);
            WriteTracking armed;
            try (ProcessMemory mem = new ProcessMemory(pid, true)) {
                RemoteSyscalls remote = new RemoteSyscalls(ptrace, pid,
                        RemoteSyscalls.findSyscallInstruction(pid, maps, mem));
                try (RemoteScratch scratch = RemoteScratch.belowStack(remote, mem, ptrace.getRegs(pid).rsp(), maps)) {
                    armed = WriteTracking.arm(pid, maps, state, remote, mem, scratch.address(),
                            nofileSoftLimit(Limits.read(pid)));
                }
                threads.park(pid);
            }
            armed.reset(pid);
            threads.release();
            return System.nanoTime() - t0;
        } catch (RuntimeException e) {
            threads.release();
            throw e instanceof CaptureException ? e : new CaptureException("arming the pre-copy of pid " + pid
                    + " failed: " + e.getMessage() + "; the process was resumed and no image was written", e);
        }
    }

    /** Seizes and stops every thread; a failure on the main thread is told as the process's. */
    static FrozenThreads seizeAll(Ptrace ptrace, int pid) {
        try {
            return FrozenThreads.freeze(ptrace, pid, STOP_TIMEOUT_MS);
        } catch (TraceeException e) {
            // a process that exited after preflight is a zombie now, and seizing a zombie fails with EPERM
            if (e.errno() == 3 || goneOrZombie(pid)) {
                throw new CaptureException("pid " + pid + " exited before it could be frozen", e);
            }
            throw new CaptureException("cannot attach to pid " + pid + ": " + e.getMessage(), e);
        } catch (CaptureException e) {
            if (goneOrZombie(pid)) {
                throw new CaptureException("pid " + pid + " exited during the capture; no image was written", e);
            }
            throw e;
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

    /**
     * @param sysvExtra SysV IPC objects to keep beyond those the process shows it uses
     * @param given     the process's threads when the caller froze them already (every process of a
     *                  tree is frozen before any is read), else null
     * @param members   the other processes of a tree captured with this one (empty when alone)
     * @param connections what the capture may do about its TCP connections (it will be killed once
     *                  its state is safe: they are locked, and one the image cannot hold refuses)
     */
    Frozen freeze(Ptrace ptrace, int pid, PageBuffers buffers, ProcessImage parent,
                  Map<Long, AreaChunks> preCopied, Map<Long, MemoryCapture.PreCopiedArea> early,
                  boolean track, TrackingState state, FreezeClock clock, FdLosses losses,
                  SysvSelection sysvExtra, FrozenThreads given, Set<Integer> members, ConnectionPolicy connections) {
        long frozenAt = System.nanoTime();
        clock.restart();
        FrozenThreads threads = given != null ? given : seizeAll(ptrace, pid);
        DescriptorCapture.Result fds = null;
        try {
            ProcStat stat = ProcStat.read(pid);
            List<MapsEntry> maps = Maps.read(pid);
            if (maps.isEmpty()) {
                throw new CaptureException("pid " + pid + " has no memory map (a kernel thread or exiting)");
            }
            // smaps walks every page table: about 20 ms a resident GiB, on its own; on a thread
            // beside the page copy or the remote calls it cost a 1 GiB freeze 50-70 ms
            VmFlags vmFlags = VmFlags.read(pid);
            ProcStatus status = ProcStatus.read(pid);
            RestorableCheck.require(pid, stat.comm()); // what changed since the preflight
            List<ThreadState> threadStates;
            List<PendingSignal> sharedPending;
            List<SignalAction> signals;
            ProcessTimers timers;
            long brk;
            MemoryCapture.Result memory;
            WriteTracking tracking;
            List<Rlimit> limits = Limits.read(pid);
            try (ProcessMemory mem = new ProcessMemory(pid, true)) {
                clock.lap(FreezePhase.STOP);
                sharedPending = PendingSignalCapture.process(ptrace, pid);
                long syscallInsn = RemoteSyscalls.findSyscallInstruction(pid, maps, mem);
                RemoteSyscalls remote = new RemoteSyscalls(ptrace, pid, syscallInsn);
                try (RemoteScratch scratch = RemoteScratch.belowStack(remote, mem, ptrace.getRegs(pid).rsp(), maps)) {
                    clock.lap(FreezePhase.REMOTE_CALLS);
                    threadStates = ThreadCapture.captureAll(ptrace, threads, syscallInsn, scratch);
                    clock.lap(FreezePhase.REGISTERS);
                    signals = SignalCapture.capture(remote, scratch, status.sigCaught() | status.sigIgnored());
                    timers = TimerCapture.capture(pid, remote, mem, scratch.address(),
                            ThreadCapture.ownTids(threads, threadStates));
                    brk = remote.call("brk(0)", SyscallNumbers.BRK, 0);
                    clock.lap(FreezePhase.REMOTE_CALLS);
                    tracking = WriteTracking.prepare(pid, maps, parent, preCopied, early, track, features, state,
                            remote, mem, scratch.address(), nofileSoftLimit(limits), chunker);
                    clock.lap(FreezePhase.TRACKING_SCAN);
                }
                threads.park(pid);
                clock.lap(FreezePhase.REMOTE_CALLS);
                // tracked areas were write-protected again by prepare's walk: nothing to reset after
                try (ResidentPages resident = new ResidentPages(pid, features.pagemapScan())) {
                    memory = MemoryCapture.capture(pid, maps, mem, buffers, tracking.plans(), resident);
                    clock.lap(FreezePhase.MEMORY_COPY);
                    clock.move(FreezePhase.MEMORY_COPY, FreezePhase.TRACKING_SCAN, resident.nanos());
                }
                memory = memory.withAreas(AreaSettings.apply(memory.areas(), AreaSettings.of(pid, maps, vmFlags)));
            }
            SysvIpcCapture.Captured sysv = SysvIpcCapture.capture(pid, maps, sysvExtra);
            String exe = ProcFiles.link(pid, "exe");
            // once for the process: every thread shares them
            fds = descriptors.capture(pid, stat.comm(), losses, members, new RepairGuard() {
                @Override
                public Runnable guard(int fd) {
                    ptrace.guardRepair(pid, fd);
                    return () -> ptrace.unguardRepair(pid, fd);
                }

                @Override
                public Runnable guardAll(int[] many) {
                    try {
                        ptrace.guardRepairs(pid, many);
                    } catch (RuntimeException e) {
                        ptrace.unguardRepairs(pid, many); // those taken before the failure
                        throw e;
                    }
                    return () -> ptrace.unguardRepairs(pid, many);
                }
            }, connections);
            // areas and file contents are filled in by ImageArchive once the process runs again
            ProcessImage image = new ProcessImage(ProcessImage.FORMAT_VERSION, null, null, null, Instant.now(),
                    ProcessCapture.host(memory.vdsoSha256(), threadStates.get(0).xstate().length),
                    ProcessCapture.identity(pid, stat), ProcessCapture.credentials(status),
                    ProcessCapture.mm(pid, stat, brk, exe), List.of(), threadStates, signals,
                    FileCapture.fs(pid, status.umask()), fds.entries(), limits,
                    ProcessCapture.fingerprints(exe, maps), timers, sharedPending, sysv.draft(), null);
            clock.lap(FreezePhase.FILES);
            return new Frozen(image, memory, tracking, frozenAt, fds, threads, sysv);
        } catch (RuntimeException e) {
            threads.release();
            if (fds != null) {
                releaseQuietly(fds);
            }
            if (e instanceof NoSuchProcessException || (e instanceof TraceeException te && te.errno() == 3)
                    || goneOrZombie(pid)) { // killed during the freeze: a zombie still "exists" for kill(pid, 0)
                throw new CaptureException("pid " + pid + " exited during the capture; no image was written", e);
            }
            throw e instanceof CaptureException ? e : new CaptureException("capture of pid " + pid + " failed: "
                    + e.getMessage() + "; the process was resumed and no image was written", e);
        }
    }

    /** The agent's copies of the process's sockets go, on a failure that is already being reported. */
    static void releaseQuietly(DescriptorCapture.Result fds) {
        releaseQuietly(fds, false);
    }

    static void releaseQuietly(DescriptorCapture.Result fds, boolean killed) {
        try {
            fds.release(killed);
        } catch (RuntimeException alreadyFailing) {
            // the capture failed for another reason, which is the one to tell
        }
    }

    private static long nofileSoftLimit(List<Rlimit> limits) {
        return limits.stream().filter(l -> l.resource() == 7).mapToLong(Rlimit::soft)
                .map(v -> v < 0 ? 1 << 20 : v).findFirst().orElse(1024);
    }

    /** PF_EXITING: set as soon as the kernel starts tearing a process down, before it is a zombie. */
    private static final long PF_EXITING = 0x4;

    static boolean goneOrZombie(int pid) {
        try {
            ProcStat st = ProcStat.read(pid);
            return st.state() == 'Z' || st.state() == 'X' || (st.flags() & PF_EXITING) != 0;
        } catch (RuntimeException gone) {
            return true;
        }
    }

    /** Lets the process run on; returns when that happened. */
    private static long resume(FrozenThreads threads) {
        threads.release();
        return System.nanoTime();
    }
}
