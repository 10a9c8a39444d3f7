// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.schema.image.CpuRegisters;

/**
 * Requests that act on many threads of one process at once, carried out inside the
 * {@code cryostash-tracer} helper (its STOP_THREADS, THREAD_STATES, PARALLEL_SYSCALL,
 * CLONE_THREADS, SET_THREADS_CPU, LET_GO_THREADS and TASK_STATUS requests, encoded and decoded here): made one by
 * one, each ptrace call is a round trip through the helper's pipes, and a freeze paid
 * milliseconds per thread for them. The in-process channel (comparisons only) has no batches;
 * callers then make the calls one by one ({@link Ptrace#batchesThreads}).
 */
public final class ThreadBatch {
    static final int OP_STOP_THREADS = 32;
    static final int OP_THREAD_STATES = 33;
    static final int OP_PARALLEL_SYSCALL = 34;
    static final int OP_CLONE_THREADS = 40;
    static final int OP_SET_THREADS_CPU = 41;
    static final int OP_LET_GO_THREADS = 42;
    static final int OP_TASK_STATUS = 43;
    static final int LET_GO_DETACH = 0;
    static final int LET_GO_CONTINUE = 1;
    static final int LET_GO_STOP_AT_FAILURE = 1;
    /** Bytes of thread state in one SET_THREADS_CPU request: well below the helper's 4 MiB limit. */
    static final int CPU_REQUEST_BYTES = 1 << 20;
    private static final int SLOT = 32;
    private static final String[] STEPS = {"PTRACE_GETREGS", "PTRACE_GETREGSET NT_X86_XSTATE", "PTRACE_GETSIGMASK",
            "PTRACE_PEEKSIGINFO", "get_robust_list", "setting up a remote call (PTRACE_SETSIGMASK/SETREGS)",
            "PTRACE_SINGLESTEP", "waiting for the single step of a remote call",
            "the single step of a remote call (another stop came)", "a remote call (sigaltstack or"
            + " prctl(PR_GET_TID_ADDRESS))", "putting registers and signal mask back after the remote calls",
            "reading the scratch memory", "PTRACE_INTERRUPT (park)", "PTRACE_CONT (park)", "waiting for the park stop",
            "the park stop (another stop came)",
            // restore's batches, from 16 on
            "writing clone3's arguments", "running clone3", "clone3", "clone3 (no new thread was reported)",
            "waiting for the new thread's first stop", "the new thread's first stop (another stop came)",
            "PTRACE_SETREGSET NT_X86_XSTATE", "PTRACE_SETSIGMASK", "PTRACE_SETREGS", "PTRACE_DETACH",
            "PTRACE_SETOPTIONS", "PTRACE_CONT"};

    private ThreadBatch() {
    }

    /**
     * What seizing, interrupting and waiting for one thread gave.
     *
     * @param seizeErrno     0 when PTRACE_SEIZE succeeded (the rest is meaningless otherwise)
     * @param interruptErrno 0 when PTRACE_INTERRUPT succeeded (ESRCH: it exited since; the wait says so)
     * @param status         its first stop or its end; null when none came in time or waiting failed
     * @param waitErrno      why waiting failed (0 on a timeout)
     */
    public record Seized(int tid, int seizeErrno, int interruptErrno, WaitStatus status, int waitErrno) {
    }

    /**
     * What a stopped thread's kernel state is, read by ptrace and by system calls run in it.
     *
     * @param rseq    {address, length, signature}, or null when none is registered (or the kernel cannot tell)
     * @param pending the thread's own queue of signals, each a raw siginfo_t
     */
    public record Facts(CpuRegisters regs, byte[] xstate, long sigmask, long[] rseq, long robustHead, long robustLength,
                        List<byte[]> pending, long altStackPointer, int altStackFlags, long altStackSize,
                        long tidAddress) {
    }

    /**
     * A thread for restore to create: clone3 with set_tid.
     *
     * @param tid        the id it must get (0: any)
     * @param flags      CLONE_* flags
     * @param tidAddress parent and child tid address (with CLONE_PARENT_SETTID / CLONE_CHILD_CLEARTID)
     * @param tls        its fs base (with CLONE_SETTLS)
     */
    public record NewThread(int tid, long flags, long tidAddress, long tls) {
    }

    /** What a stopped thread gets before it runs: xstate (empty: left as it is), signal mask, registers. */
    public record ThreadCpu(int tid, CpuRegisters regs, long sigmask, byte[] xstate) {
        int bytes() {
            return 4 + CpuRegisters.COUNT * 8 + 8 + 4 + xstate.length;
        }
    }

    static byte[] cloneRequest(int pid, long syscallInsn, long scratch, List<NewThread> threads, long timeoutMillis) {
        ByteBuffer m = ByteBuffer.allocate(32 + 28 * threads.size()).order(ByteOrder.LITTLE_ENDIAN);
        m.putLong(syscallInsn).putInt(pid).putLong(scratch).putLong(timeoutMillis).putInt(threads.size());
        for (NewThread t : threads) {
            m.putInt(t.tid()).putLong(t.flags()).putLong(t.tidAddress()).putLong(t.tls());
        }
        return m.array();
    }

    static int[] cloneAnswer(int count, ByteBuffer b) {
        requireSuccess(b, "creating threads: ");
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = b.getInt();
        }
        return out;
    }

    /** SET_THREADS_CPU requests of at most {@link #CPU_REQUEST_BYTES} each (one thread's may pass it alone). */
    static List<byte[]> cpuRequests(List<ThreadCpu> threads) {
        List<byte[]> out = new ArrayList<>();
        int from = 0;
        while (from < threads.size()) {
            int to = from;
            int bytes = 4;
            while (to < threads.size() && (to == from || bytes + threads.get(to).bytes() <= CPU_REQUEST_BYTES)) {
                bytes += threads.get(to).bytes();
                to++;
            }
            ByteBuffer m = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
            m.putInt(to - from);
            for (ThreadCpu t : threads.subList(from, to)) {
                m.putInt(t.tid());
                for (long v : t.regs().toArray()) {
                    m.putLong(v);
                }
                m.putLong(t.sigmask()).putInt(t.xstate().length).put(t.xstate());
            }
            out.add(m.array());
            from = to;
        }
        return out;
    }

    static void cpuAnswer(ByteBuffer b) {
        requireSuccess(b, "setting thread state: ");
    }

    static byte[] letGoRequest(List<Integer> tids, int mode, int options, int flags) {
        ByteBuffer m = ByteBuffer.allocate(16 + 4 * tids.size()).order(ByteOrder.LITTLE_ENDIAN);
        m.putInt(mode).putInt(options).putInt(flags).putInt(tids.size());
        tids.forEach(m::putInt);
        return m.array();
    }

    static int[] letGoAnswer(int count, ByteBuffer b) {
        b.getLong();
        b.getInt();
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = b.getInt();
        }
        return out;
    }

    /**
     * A thread's /proc/PID/task/TID/status as the helper read it.
     *
     * @param errno 0, or why it could not be read (ENOENT: the thread is gone); text is empty then
     */
    public record TaskText(int tid, int errno, String text) {
    }

    static byte[] taskStatusRequest(int pid, List<Integer> tids) {
        ByteBuffer m = ByteBuffer.allocate(8 + 4 * tids.size()).order(ByteOrder.LITTLE_ENDIAN);
        m.putInt(pid).putInt(tids.size());
        tids.forEach(m::putInt);
        return m.array();
    }

    static List<TaskText> taskStatusAnswer(List<Integer> tids, ByteBuffer b) {
        b.getLong();
        b.getInt();
        List<TaskText> out = new ArrayList<>(tids.size());
        for (int tid : tids) {
            int errno = b.getInt();
            byte[] text = new byte[b.getInt()];
            b.get(text);
            out.add(new TaskText(tid, errno, new String(text, java.nio.charset.StandardCharsets.UTF_8)));
        }
        return out;
    }

    static byte[] stopRequest(List<Integer> tids, long timeoutMillis) {
        ByteBuffer m = ByteBuffer.allocate(12 + 4 * tids.size()).order(ByteOrder.LITTLE_ENDIAN);
        m.putLong(timeoutMillis).putInt(tids.size());
        tids.forEach(m::putInt);
        return m.array();
    }

    static List<Seized> stopAnswer(List<Integer> tids, ByteBuffer b) {
        b.getLong();
        b.getInt();
        List<Seized> out = new ArrayList<>(tids.size());
        for (int tid : tids) {
            int seize = b.getInt();
            int interrupt = b.getInt();
            long waited = b.getLong();
            int waitErrno = b.getInt();
            int status = b.getInt();
            out.add(new Seized(tid, seize, interrupt, waited == tid ? new WaitStatus(status) : null, waitErrno));
        }
        return out;
    }

    static byte[] statesRequest(List<Integer> tids, long syscallInsn, long scratch, int scratchSize,
                                long timeoutMillis) {
        ByteBuffer m = ByteBuffer.allocate(32 + 4 * tids.size()).order(ByteOrder.LITTLE_ENDIAN);
        m.putLong(syscallInsn).putLong(scratch).putInt(scratchSize).putLong(timeoutMillis).putInt(tids.size());
        tids.forEach(m::putInt);
        return m.array();
    }

    static byte[] syscallRequest(List<Integer> tids, long syscallInsn, long nr, List<long[]> args,
                                 long timeoutMillis) {
        ByteBuffer m = ByteBuffer.allocate(28 + 52 * tids.size()).order(ByteOrder.LITTLE_ENDIAN);
        m.putLong(syscallInsn).putLong(nr).putLong(timeoutMillis).putInt(tids.size());
        for (int i = 0; i < tids.size(); i++) {
            m.putInt(tids.get(i));
            long[] a = args.get(i);
            for (int k = 0; k < 6; k++) {
                m.putLong(k < a.length ? a[k] : 0);
            }
        }
        return m.array();
    }

    static long[] syscallAnswer(int count, ByteBuffer b, String what) {
        requireSuccess(b, "remote " + what + ": ");
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = b.getLong();
        }
        return out;
    }

    /** Throws what the helper reported as the first failure of a THREAD_STATES or PARALLEL_SYSCALL. */
    private static void requireSuccess(ByteBuffer b, String prefix) {
        long result = b.getLong();
        int errno = b.getInt();
        if (result != 0) {
            int tid = b.getInt();
            int step = b.getInt();
            WaitStatus st = new WaitStatus(b.getInt());
            String what = prefix + (step >= 0 && step < STEPS.length ? STEPS[step] : "thread batch step " + step);
            if (errno == 0 && st.raw() != 0) {
                throw new TraceeException(tid, what + ": " + st);
            }
            throw errno == 0 ? new TraceeException(tid, what + ": no stop in time")
                    : new TraceeException(tid, what, errno);
        }
    }

    static List<Facts> statesAnswer(List<Integer> tids, ByteBuffer b) {
        requireSuccess(b, "reading thread state: ");
        List<Facts> out = new ArrayList<>(tids.size());
        for (int i = 0; i < tids.size(); i++) {
            long[] regs = new long[CpuRegisters.COUNT];
            for (int r = 0; r < regs.length; r++) {
                regs[r] = b.getLong();
            }
            byte[] xstate = new byte[b.getInt()];
            b.get(xstate);
            long mask = b.getLong();
            boolean rseqKnown = b.getInt() != 0;
            long rseqAddress = b.getLong();
            long rseqLength = b.getInt() & 0xffffffffL;
            long rseqSignature = b.getInt() & 0xffffffffL;
            long robustHead = b.getLong();
            long robustLength = b.getLong();
            int pending = b.getInt();
            List<byte[]> infos = new ArrayList<>(pending);
            for (int p = 0; p < pending; p++) {
                byte[] one = new byte[Ptrace.SIGINFO_BYTES];
                b.get(one);
                infos.add(one);
            }
            ByteBuffer slot = b.slice(b.position(), SLOT).order(ByteOrder.LITTLE_ENDIAN);
            b.position(b.position() + SLOT);
            out.add(new Facts(CpuRegisters.fromArray(regs), xstate, mask,
                    rseqKnown && rseqAddress != 0 ? new long[] {rseqAddress, rseqLength, rseqSignature} : null,
                    robustHead, robustLength, infos, slot.getLong(0), slot.getInt(8), slot.getLong(16),
                    slot.getLong(24)));
        }
        return out;
    }
}
