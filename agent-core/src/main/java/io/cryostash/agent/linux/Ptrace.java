// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.agent.linux.PtraceChannel.Arg;
import io.cryostash.agent.linux.PtraceChannel.Reply;
import io.cryostash.schema.image.CpuRegisters;

/**
 * ptrace(2) and waitpid(2) for the tracees of one {@link Tracer}. The calls are made by the
 * {@code cryostash-tracer} helper process (see {@link TracerProcess}), which is the tracer the
 * kernel knows and which puts a capture's tracees back if this JVM dies; use this class only
 * through a {@link Tracer}, whose single thread keeps the requests in order.
 *
 * <p>Adding a request: one method here that calls {@link #call} with the request number and its
 * addr and data as {@link Arg}s — a value, a buffer the kernel reads ({@code Arg.in}) or fills
 * ({@code Arg.out}), or an iovec ({@code Arg.iovecIn}/{@code iovecOut}) — and decodes the
 * buffers of the {@link Reply}. Neither the helper nor the channels need to change.
 */
public final class Ptrace {
    static final int PTRACE_PEEKUSER = 3;
    static final int PTRACE_CONT = 7;
    static final int PTRACE_KILL = 8;
    static final int PTRACE_SINGLESTEP = 9;
    static final int PTRACE_GETREGS = 12;
    static final int PTRACE_SETREGS = 13;
    static final int PTRACE_DETACH = 17;
    static final int PTRACE_SETOPTIONS = 0x4200;
    static final int PTRACE_GETEVENTMSG = 0x4201;
    static final int PTRACE_GETREGSET = 0x4204;
    static final int PTRACE_SETREGSET = 0x4205;
    static final int PTRACE_SEIZE = 0x4206;
    static final int PTRACE_INTERRUPT = 0x4207;
    static final int PTRACE_PEEKSIGINFO = 0x4209;
    static final int PTRACE_GETSIGMASK = 0x420a;
    static final int PTRACE_SETSIGMASK = 0x420b;
    static final int PTRACE_GET_RSEQ_CONFIGURATION = 0x420f;

    public static final int PTRACE_O_TRACEFORK = 0x2;
    public static final int PTRACE_O_TRACEVFORK = 0x4;
    public static final int PTRACE_O_TRACECLONE = 0x8;
    public static final int PTRACE_O_EXITKILL = 0x100000;

    static final int NT_X86_XSTATE = 0x202;
    static final int WALL = 0x40000000;
    static final int WNOHANG = 1;

    /** sizeof(siginfo_t) on every Linux architecture. */
    public static final int SIGINFO_BYTES = 128;
    /** PTRACE_PEEKSIGINFO_SHARED: read the process-wide queue instead of the thread's own. */
    static final int PEEKSIGINFO_SHARED = 1;
    private static final int PEEK_BATCH = 32;

    private static final int REGS_BYTES = CpuRegisters.COUNT * 8;
    private static final int XSTATE_MAX = 16384;

    private final PtraceChannel channel;

    Ptrace(PtraceChannel channel) {
        this.channel = channel;
    }

    public void seize(int pid, int options) {
        call("PTRACE_SEIZE", PTRACE_SEIZE, pid, Arg.value(0), Arg.value(options));
    }

    public void setOptions(int pid, int options) {
        call("PTRACE_SETOPTIONS", PTRACE_SETOPTIONS, pid, Arg.value(0), Arg.value(options));
    }

    public void interrupt(int pid) {
        call("PTRACE_INTERRUPT", PTRACE_INTERRUPT, pid, Arg.value(0), Arg.value(0));
    }

    public void detach(int pid) {
        call("PTRACE_DETACH", PTRACE_DETACH, pid, Arg.value(0), Arg.value(0));
    }

    public void cont(int pid, int signal) {
        call("PTRACE_CONT", PTRACE_CONT, pid, Arg.value(0), Arg.value(signal));
    }

    public void singleStep(int pid) {
        call("PTRACE_SINGLESTEP", PTRACE_SINGLESTEP, pid, Arg.value(0), Arg.value(0));
    }

    public CpuRegisters getRegs(int pid) {
        ByteBuffer b = le(call("PTRACE_GETREGS", PTRACE_GETREGS, pid, Arg.value(0), Arg.out(REGS_BYTES)).dataOut());
        long[] v = new long[CpuRegisters.COUNT];
        for (int i = 0; i < v.length; i++) {
            v[i] = b.getLong();
        }
        return CpuRegisters.fromArray(v);
    }

    public void setRegs(int pid, CpuRegisters regs) {
        ByteBuffer b = ByteBuffer.allocate(REGS_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : regs.toArray()) {
            b.putLong(v);
        }
        call("PTRACE_SETREGS", PTRACE_SETREGS, pid, Arg.value(0), Arg.in(b.array()));
    }

    /** The XSAVE area (x87, SSE, AVX, … state) exactly as the kernel reports it. */
    public byte[] getXstate(int pid) {
        return call("PTRACE_GETREGSET", PTRACE_GETREGSET, pid, Arg.value(NT_X86_XSTATE), Arg.iovecOut(XSTATE_MAX))
                .dataOut();
    }

    public void setXstate(int pid, byte[] xstate) {
        call("PTRACE_SETREGSET", PTRACE_SETREGSET, pid, Arg.value(NT_X86_XSTATE), Arg.iovecIn(xstate));
    }

    public long getSigmask(int pid) {
        return le(call("PTRACE_GETSIGMASK", PTRACE_GETSIGMASK, pid, Arg.value(8), Arg.out(8)).dataOut()).getLong();
    }

    public void setSigmask(int pid, long mask) {
        byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(mask).array();
        call("PTRACE_SETSIGMASK", PTRACE_SETSIGMASK, pid, Arg.value(8), Arg.in(b));
    }

    /** rseq registration of the thread: {address, length, signature}, or null when none. */
    public long[] getRseq(int pid) {
        ByteBuffer b = le(call("PTRACE_GET_RSEQ_CONFIGURATION", PTRACE_GET_RSEQ_CONFIGURATION, pid, Arg.value(24),
                Arg.out(24)).dataOut());
        long addr = b.getLong(0);
        if (addr == 0) {
            return null;
        }
        return new long[] {addr, b.getInt(8) & 0xffffffffL, b.getInt(12) & 0xffffffffL};
    }

    /** The message of the last event stop: for fork and clone events, the new task's id in our namespace. */
    public long getEventMsg(int pid) {
        return le(call("PTRACE_GETEVENTMSG", PTRACE_GETEVENTMSG, pid, Arg.value(0), Arg.out(8)).dataOut()).getLong();
    }

    /**
     * The signals queued and not yet delivered: the thread's own queue, or with {@code shared}
     * the process-wide one. Each entry is a raw siginfo_t of {@link #SIGINFO_BYTES} bytes, in
     * queue order; the queue is left as it is.
     */
    public List<byte[]> peekSigInfo(int tid, boolean shared) {
        List<byte[]> out = new ArrayList<>();
        while (true) {
            byte[] args = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(out.size())
                    .putInt(shared ? PEEKSIGINFO_SHARED : 0).putInt(PEEK_BATCH).array();
            Reply r = call("PTRACE_PEEKSIGINFO", PTRACE_PEEKSIGINFO, tid, Arg.in(args),
                    Arg.out(SIGINFO_BYTES * PEEK_BATCH));
            for (int i = 0; i < r.result(); i++) {
                byte[] one = new byte[SIGINFO_BYTES];
                System.arraycopy(r.dataOut(), i * SIGINFO_BYTES, one, 0, SIGINFO_BYTES);
                out.add(one);
            }
            if (r.result() < PEEK_BATCH) {
                return out;
            }
        }
    }

    /**
     * Waits for the next stop or exit of {@code pid}, giving up after {@code timeoutMillis}
     * so that a stop lost to someone else's waitpid cannot hang an agent.
     */
    public WaitStatus waitFor(int pid, long timeoutMillis) {
        return channel.waitFor(pid, timeoutMillis);
    }

    /**
     * Runs system call {@code nr} inside the stopped tracee from the {@code syscall} instruction
     * at {@code syscallInsn}, with every signal blocked during the single step, and puts its
     * registers and signal mask back. Returns the raw result (negative values are -errno).
     * One request to the helper: should this JVM die meanwhile, the call still completes and
     * the tracee is put back.
     */
    public long remoteSyscall(int pid, long syscallInsn, long nr, long[] args, long timeoutMillis) {
        return channel.remoteSyscall(pid, syscallInsn, nr, args, timeoutMillis, false).result();
    }

    /**
     * {@link #remoteSyscall} for a fork, clone or clone3 run with PTRACE_O_TRACEFORK/TRACECLONE
     * set: the tracee stops once more in between (the event stop, which names the new task),
     * and the call is then stepped to its end. Also one request to the helper.
     */
    public SyscallResult remoteSpawn(int pid, long syscallInsn, long nr, long[] args, long timeoutMillis) {
        return channel.remoteSyscall(pid, syscallInsn, nr, args, timeoutMillis, true);
    }

    /**
     * Whether {@link #stopThreads}, {@link #threadStates}, {@link #parallelSyscall},
     * {@link #cloneThreads}, {@link #setThreadsCpu}, {@link #detachThreads},
     * {@link #continueThreads} and {@link #taskStatus} work (the helper has them; the in-process channel not).
     */
    public boolean batchesThreads() {
        return channel.hasThreadBatches();
    }

    /**
     * Seizes (no options), interrupts and waits for each of {@code tids}, all side by side, in
     * one request to the helper; each thread's outcome is the caller's to judge.
     */
    public List<ThreadBatch.Seized> stopThreads(List<Integer> tids, long timeoutMillis) {
        java.nio.ByteBuffer b = channel.threadBatch(ThreadBatch.OP_STOP_THREADS, tids.isEmpty() ? 0 : tids.get(0),
                ThreadBatch.stopRequest(tids, timeoutMillis));
        return ThreadBatch.stopAnswer(tids, b);
    }

    /**
     * Everything {@link ThreadBatch.Facts} holds for each of {@code tids} (stopped threads of one
     * process, its main thread first), in one request to the helper: ptrace's reads first, then
     * sigaltstack and prctl(PR_GET_TID_ADDRESS) run in all threads side by side, through the
     * syscall instruction at {@code syscallInsn} into {@code scratch} (32 bytes a thread, reused
     * in rounds when there are more threads than fit). Every thread but the first is left in an
     * interrupt stop again; the first in the SIGTRAP stop of its last step.
     */
    public List<ThreadBatch.Facts> threadStates(List<Integer> tids, long syscallInsn, long scratch, int scratchSize,
                                                long timeoutMillis) {
        java.nio.ByteBuffer b = channel.threadBatch(ThreadBatch.OP_THREAD_STATES, tids.get(0),
                ThreadBatch.statesRequest(tids, syscallInsn, scratch, scratchSize, timeoutMillis));
        return ThreadBatch.statesAnswer(tids, b);
    }

    /**
     * System call {@code nr} run in each of {@code tids} (stopped threads of one process) side by
     * side, with its own arguments, in one request to the helper; registers and masks are put back.
     * A step that fails is reported naming {@code what} (e.g. "sigaltstack").
     *
     * @return each thread's raw result (-errno on failure)
     */
    public long[] parallelSyscall(List<Integer> tids, long syscallInsn, String what, long nr, List<long[]> args,
                                  long timeoutMillis) {
        java.nio.ByteBuffer b = channel.threadBatch(ThreadBatch.OP_PARALLEL_SYSCALL, tids.get(0),
                ThreadBatch.syscallRequest(tids, syscallInsn, nr, args, timeoutMillis));
        return ThreadBatch.syscallAnswer(tids.size(), b, what);
    }

    /**
     * Creates {@code threads} in the process of {@code pid} (stopped, traced with
     * PTRACE_O_TRACECLONE), each by clone3 run in {@code pid} through the syscall instruction at
     * {@code syscallInsn} with its arguments in {@code scratch} (88 bytes), each waited for in its
     * first stop, in one request to the helper.
     *
     * @return each new thread's id in this agent's namespace
     * @throws TraceeException naming the first tid asked for that could not be made (EEXIST: it is taken)
     */
    public int[] cloneThreads(int pid, long syscallInsn, long scratch, List<ThreadBatch.NewThread> threads,
                              long timeoutMillis) {
        java.nio.ByteBuffer b = channel.threadBatch(ThreadBatch.OP_CLONE_THREADS, pid,
                ThreadBatch.cloneRequest(pid, syscallInsn, scratch, threads, timeoutMillis));
        return ThreadBatch.cloneAnswer(threads.size(), b);
    }

    /** xstate, signal mask and registers of many stopped threads, in as few requests to the helper as fit. */
    public void setThreadsCpu(List<ThreadBatch.ThreadCpu> threads) {
        for (byte[] request : ThreadBatch.cpuRequests(threads)) {
            ThreadBatch.cpuAnswer(channel.threadBatch(ThreadBatch.OP_SET_THREADS_CPU, threads.get(0).tid(), request));
        }
    }

    /**
     * Detaches {@code tids} in that order in one request to the helper (put the main thread last:
     * until it runs, the process as a whole still looks stopped).
     *
     * @param stopAtFailure leave the threads after one that could not be detached stopped (ECANCELED)
     * @return each thread's errno (0: detached)
     */
    public int[] detachThreads(List<Integer> tids, boolean stopAtFailure) {
        return letGo(tids, ThreadBatch.LET_GO_DETACH, 0, stopAtFailure);
    }

    /** {@link #detachThreads}, but each thread gets {@code options} and runs on, still traced (PTRACE_CONT). */
    public int[] continueThreads(List<Integer> tids, int options, boolean stopAtFailure) {
        return letGo(tids, ThreadBatch.LET_GO_CONTINUE, options, stopAtFailure);
    }

    /**
     * /proc/PID/task/TID/status of each of {@code tids}, read by the helper in one request (the
     * JVM's file reads cost several times what the kernel takes to make the text).
     */
    public List<ThreadBatch.TaskText> taskStatus(int pid, List<Integer> tids) {
        java.nio.ByteBuffer b = channel.threadBatch(ThreadBatch.OP_TASK_STATUS, pid,
                ThreadBatch.taskStatusRequest(pid, tids));
        return ThreadBatch.taskStatusAnswer(tids, b);
    }

    private int[] letGo(List<Integer> tids, int mode, int options, boolean stopAtFailure) {
        if (tids.isEmpty()) {
            return new int[0];
        }
        java.nio.ByteBuffer b = channel.threadBatch(ThreadBatch.OP_LET_GO_THREADS, tids.get(0),
                ThreadBatch.letGoRequest(tids, mode, options, stopAtFailure ? ThreadBatch.LET_GO_STOP_AT_FAILURE : 0));
        return ThreadBatch.letGoAnswer(tids.size(), b);
    }

    /**
     * @param result what the call returned inside the tracee (raw: negative values are -errno)
     * @param child  for {@link #remoteSpawn}, the new task's id in this agent's namespace (traced
     *               from birth, on its way to its first stop); 0 otherwise or when none was made
     */
    public record SyscallResult(long result, int child) {
    }

    /**
     * Should this JVM die while {@code pid} is traced, the helper writes {@code original} back at
     * {@code address} before letting the process go (scratch space taken from its stack).
     */
    public void guardMemory(int pid, long address, byte[] original) {
        channel.guardMemory(pid, address, original);
    }

    /** Should this JVM die while {@code pid} is traced, the helper unmaps that range (a scratch mapping). */
    public void guardMapping(int pid, long address, long length) {
        channel.guardMapping(pid, address, length);
    }

    /** Forgets a {@link #guardMemory} or {@link #guardMapping} once the scratch is given back. */
    public void unguard(int pid, long address) {
        channel.unguard(pid, address);
    }

    /** What {@link #unguard} names a {@link #guardRepair} by: not a user-space address. */
    static final long REPAIR_KEY = 1L << 63;

    /**
     * Should this JVM die while {@code pid} is traced, the helper takes the process's TCP socket
     * {@code fd} out of repair mode (through a copy of the socket it takes now), unless the
     * process is dead by then. Register before switching repair mode on. Unlike the other
     * requests, this one and {@link #unguardRepair} may come from any thread (the channel sends
     * one request at a time): the kill that ends a --kill capture's repair window is not made on
     * the tracer thread.
     */
    public void guardRepair(int pid, int fd) {
        channel.guardRepair(pid, fd);
    }

    /** Forgets a {@link #guardRepair}: the helper closes its copy as the socket is (a killed process's stays silent). */
    public void unguardRepair(int pid, int fd) {
        channel.unguard(pid, REPAIR_KEY | (fd & 0xffffffffL));
    }

    /**
     * {@link #guardRepair} for many sockets in one request to the helper. If it fails, the
     * sockets before the one named in the error are registered: forget them all with
     * {@link #unguardRepairs} (forgetting one never registered does nothing).
     */
    public void guardRepairs(int pid, int[] fds) {
        channel.guardRepairs(pid, fds);
    }

    /** {@link #unguardRepair} for many sockets in one request to the helper. */
    public void unguardRepairs(int pid, int[] fds) {
        long[] keys = new long[fds.length];
        for (int i = 0; i < fds.length; i++) {
            keys[i] = REPAIR_KEY | (fds[i] & 0xffffffffL);
        }
        channel.unguardAll(pid, keys);
    }

    /**
     * Starts a program that will be seized (restore's husk): in a session of its own, stdio on
     * /dev/null, not a child of this JVM. If this JVM dies before {@link #seize} takes hold of it,
     * the tracer helper kills it, so it never runs on unattended.
     *
     * @param argv the program's absolute path, then its arguments
     * @return its pid
     */
    public int spawn(List<String> argv) {
        return channel.spawn(argv);
    }

    /** One request; throws {@link TraceeException} naming {@code what} when it fails. */
    Reply call(String what, int request, int pid, Arg addr, Arg data) {
        Reply r = channel.ptrace(request, pid, addr, data);
        if (r.errno() != 0) {
            throw new TraceeException(pid, what, r.errno());
        }
        return r;
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }
}
