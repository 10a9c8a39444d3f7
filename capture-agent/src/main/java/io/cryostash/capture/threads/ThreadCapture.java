// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.threads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

import io.cryostash.agent.linux.Errno;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.ThreadBatch;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.proc.NoSuchProcessException;
import io.cryostash.agent.proc.TaskStatus;
import io.cryostash.agent.remote.ParallelSyscalls;
import io.cryostash.agent.remote.RemoteScratch;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.signals.PendingSignalCapture;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.PendingSignal;
import io.cryostash.schema.image.ThreadState;

/**
 * Registers, FPU/vector state, signal mask, sigaltstack, rseq, tid address, robust list, name,
 * no_new_privs and queued signals of every thread. The kernel shows sigaltstack and the tid
 * address only to the thread itself, so those two are asked by system calls run in each
 * thread, all threads at once; everything else comes from ptrace and /proc. The tracer helper
 * does all of it for all threads in one request ({@link Ptrace#threadStates}): made one by one,
 * its two dozen ptrace calls per thread were as many round trips through the helper's pipes,
 * about 0.6 ms a thread. It also reads every thread's /proc status ({@link Ptrace#taskStatus}),
 * whose Name line spares reading the comm file. The in-process channel (comparisons only) makes them one by one.
 */
public final class ThreadCapture {
    static final int PR_GET_TID_ADDRESS = 40;
    /** Scratch bytes per thread: stack_t (24 bytes), then the tid address (8). */
    static final int SLOT = 32;
    /** How long a thread may take to step through a remote call or reach its park stop. */
    private static final long STEP_TIMEOUT_MS = 10_000;

    private ThreadCapture() {
    }

    /**
     * Every thread of a frozen process, main first. Threads other than the main one are parked
     * again (see {@link FrozenThreads#park}) before this returns; the main thread's remote
     * calls go on after this, so parking it is the caller's.
     *
     * @param scratch scratch memory in the process, shared by all threads (they share memory)
     */
    public static List<ThreadState> captureAll(Ptrace ptrace, FrozenThreads threads, long syscallInsn,
                                               RemoteScratch scratch) {
        int pid = threads.pid();
        List<Integer> tids = threads.tids();
        int n = tids.size();
        if (ptrace.batchesThreads()) {
            List<TaskStatus> status = new ArrayList<>(n);
            List<String> names = new ArrayList<>(n);
            for (ThreadBatch.TaskText t : ptrace.taskStatus(pid, tids)) {
                if (t.errno() == Errno.ENOENT || t.errno() == Errno.ESRCH) {
                    throw new NoSuchProcessException(t.tid());
                }
                if (t.errno() != 0) {
                    throw new CaptureException("cannot read /proc/" + pid + "/task/" + t.tid() + "/status (errno "
                            + t.errno() + ")");
                }
                status.add(TaskStatus.parse(t.tid(), t.text()));
                String name = TaskStatus.name(t.text()); // the status text holds the name: no comm file to read
                names.add(name != null ? name : TaskStatus.comm(pid, t.tid()));
            }
            check(pid, status);
            List<ThreadBatch.Facts> facts = ptrace.threadStates(tids, syscallInsn, scratch.address(), RemoteScratch.SIZE,
                    STEP_TIMEOUT_MS);
            List<ThreadState> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(state(facts.get(i), status.get(i), names.get(i)));
            }
            return out;
        }
        List<TaskStatus> status = new ArrayList<>(n);
        for (int tid : tids) {
            status.add(TaskStatus.read(pid, tid));
        }
        check(pid, status);
        // everything ptrace and /proc tell first, while every thread sits in its interrupt stop:
        // an agent dying there lets the process run on, while between remote calls it would die
        // of the single step's SIGTRAP, so nothing slow happens once those have begun
        List<ThreadState> partial = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int tid = tids.get(i);
            partial.add(state(ptrace, tid, status.get(i), TaskStatus.comm(pid, tid)));
        }
        long a = scratch.address();
        IntFunction<long[]> altStackArgs = i -> new long[] {0, a + (long) i * SLOT};
        IntFunction<long[]> tidAddressArgs = i -> new long[] {PR_GET_TID_ADDRESS, a + (long) i * SLOT + 24};
        int perBatch = RemoteScratch.SIZE / SLOT;
        List<ThreadState> out = new ArrayList<>(n);
        for (int from = 0; from < n; from += perBatch) {
            List<Integer> batch = tids.subList(from, Math.min(n, from + perBatch));
            ParallelSyscalls.call(ptrace, batch, syscallInsn, "sigaltstack", SyscallNumbers.SIGALTSTACK, altStackArgs);
            ParallelSyscalls.call(ptrace, batch, syscallInsn, "prctl(PR_GET_TID_ADDRESS)", SyscallNumbers.PRCTL,
                    tidAddressArgs);
            ByteBuffer b = ByteBuffer.wrap(scratch.memory().read(a, batch.size() * SLOT)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < batch.size(); i++) {
                out.add(with(partial.get(from + i), new ThreadState.SignalStack(b.getLong(i * SLOT),
                        b.getInt(i * SLOT + 8), b.getLong(i * SLOT + 16)), b.getLong(i * SLOT + 24)));
            }
        }
        threads.parkAll(tids.subList(1, n));
        return out;
    }

    /** Each thread's tid as this agent sees it to its tid as the process sees it (they differ in a nested PID namespace). */
    public static Map<Integer, Integer> ownTids(FrozenThreads threads, List<ThreadState> states) {
        List<Integer> tids = threads.tids();
        Map<Integer, Integer> out = new HashMap<>();
        for (int i = 0; i < tids.size(); i++) {
            out.put(tids.get(i), states.get(i).tid());
        }
        return out;
    }

    /**
     * State that is per thread in the kernel but that restore can only give back to the
     * process as a whole is refused, naming the thread: a seccomp filter (not saved yet), and
     * credentials that differ between threads (raw setuid calls, which glibc would not make).
     */
    static void check(int pid, List<TaskStatus> status) {
        TaskStatus main = status.get(0);
        for (TaskStatus t : status) {
            String who = t.tid() == pid ? "the main thread of pid " + pid : "thread " + t.tid() + " of pid " + pid;
            if (t.seccomp() != 0) {
                throw new CaptureException(who + " runs under seccomp (" + (t.seccomp() == 1 ? "strict mode"
                        : "a filter") + "): seccomp state is not saved yet, so the restored process would run"
                        + " without it; no image was written");
            }
            if (!t.credentials().equals(main.credentials())) {
                throw new CaptureException(who + " has credentials of its own (" + t.credentials().replace('\n', ' ')
                        + " against the main thread's " + main.credentials().replace('\n', ' ') + "): per-thread"
                        + " credentials are not saved yet; no image was written");
            }
        }
    }

    /** What ptrace and /proc tell about a stopped thread; sigaltstack and tid address come later. */
    private static ThreadState state(Ptrace ptrace, int tid, TaskStatus status, String name) {
        CpuRegisters regs = ptrace.getRegs(tid);
        byte[] xstate = ptrace.getXstate(tid);
        long mask = ptrace.getSigmask(tid);
        ThreadState.Rseq rseq = null;
        try {
            long[] r = ptrace.getRseq(tid);
            if (r != null) {
                rseq = new ThreadState.Rseq(r[0], r[1], r[2]);
            }
        } catch (TraceeException kernelWithoutRseqQuery) {
            // kernels before 5.13 cannot report rseq; glibc then re-registers nothing either
        }
        List<PendingSignal> pending = PendingSignalCapture.thread(ptrace, tid);
        long[] robust = Syscalls.robustList(tid);
        return new ThreadState(status.ownTid(), regs, xstate, mask, null, rseq, 0, robust[0], robust[1], name,
                pending, status.noNewPrivs());
    }

    private static ThreadState state(ThreadBatch.Facts f, TaskStatus status, String name) {
        long[] r = f.rseq();
        return new ThreadState(status.ownTid(), f.regs(), f.xstate(), f.sigmask(),
                new ThreadState.SignalStack(f.altStackPointer(), f.altStackFlags(), f.altStackSize()),
                r == null ? null : new ThreadState.Rseq(r[0], r[1], r[2]), f.tidAddress(), f.robustHead(),
                f.robustLength(), name, PendingSignalCapture.decode(f.pending()), status.noNewPrivs());
    }

    private static ThreadState with(ThreadState t, ThreadState.SignalStack alt, long tidAddress) {
        return new ThreadState(t.tid(), t.regs(), t.xstate(), t.blockedSignals(), alt, t.rseq(), tidAddress,
                t.robustListHead(), t.robustListLength(), t.name(), t.pendingSignals(), t.noNewPrivs());
    }
}
