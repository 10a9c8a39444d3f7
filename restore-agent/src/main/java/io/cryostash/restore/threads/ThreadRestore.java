// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.threads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.agent.linux.Errno;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.ThreadBatch;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.agent.remote.Clone3;
import io.cryostash.agent.remote.ParallelSyscalls;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.ThreadState;

/**
 * Threads: each one after the main thread is cloned from the main one with the image's tid,
 * then every thread gets its kernel state (sigaltstack, tid address, robust list, rseq, name,
 * no_new_privs) by remote calls run in that thread, and, last, its CPU state and mask.
 */
public final class ThreadRestore {
    static final int SS_ONSTACK = 1;
    static final int SS_DISABLE = 2;
    static final int PR_SET_NAME = 15;
    static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final long STOP_TIMEOUT_MS = 5_000;
    /** Scratch bytes per thread for in-memory arguments: a stack_t (24 bytes) or a name (16). */
    static final int SLOT = 32;
    static final int BATCH = 256;
    public static final int SCRATCH_BYTES = BATCH * SLOT;

    /** A restored thread: its id here (for ptrace) and remote calls that run in it. */
    public record Restored(ThreadState state, int tid, RemoteSyscalls remote) {
    }

    /**
     * Clones {@code t} from the main thread (remote clone3 with the flags pthread_create uses and
     * set_tid = its tid); with PTRACE_O_TRACECLONE the new thread is traced from birth and waits
     * in its first stop, its mask all blocked (the main thread's during a remote call).
     *
     * @param scratch at least {@link Clone3#SCRATCH_BYTES} of writable memory in the process
     * @throws TraceeException with errno EEXIST when the tid is in use
     */
    public static Restored create(Ptrace ptrace, RemoteSyscalls main, ProcessMemory mem, long scratch,
                                  long syscallInsn, ThreadState t) {
        int tid = Clone3.call(main, mem, scratch, "clone3 (thread " + t.tid() + ")", cloneFlags(t), 0, t.tid(),
                t.clearChildTid(), t.regs().fsBase()).child();
        WaitStatus st = ptrace.waitFor(tid, STOP_TIMEOUT_MS);
        if (!st.isInterruptStop()) {
            throw new TraceeException(tid, "new thread " + t.tid() + " did not stop as expected: " + st);
        }
        return new Restored(t, tid, new RemoteSyscalls(ptrace, tid, syscallInsn));
    }

    /**
     * Every thread of {@code threads} after the first (the main thread, {@code main}'s), cloned as
     * {@link #create} does; through the tracer helper all in one request.
     *
     * @return the main thread, then the new ones in the image's order
     * @throws TraceeException with errno EEXIST, naming the image's tid, when a tid is in use
     */
    public static List<Restored> createAll(Ptrace ptrace, RemoteSyscalls main, int mainTid, ProcessMemory mem,
                                           long scratch, long syscallInsn, List<ThreadState> threads) {
        List<Restored> out = new ArrayList<>(threads.size());
        out.add(new Restored(threads.get(0), mainTid, main));
        List<ThreadState> rest = threads.subList(1, threads.size());
        if (rest.isEmpty()) {
            return out;
        }
        if (!ptrace.batchesThreads()) {
            for (ThreadState t : rest) {
                try {
                    out.add(create(ptrace, main, mem, scratch, syscallInsn, t));
                } catch (TraceeException e) {
                    if (e.errno() == Errno.EEXIST) { // named by the tid asked for, as the helper's batch does
                        throw new TraceeException(t.tid(), "clone3 (thread " + t.tid() + ")", e.errno());
                    }
                    throw e;
                }
            }
            return out;
        }
        List<ThreadBatch.NewThread> asked = rest.stream()
                .map(t -> new ThreadBatch.NewThread(t.tid(), cloneFlags(t), t.clearChildTid(), t.regs().fsBase()))
                .toList();
        int[] tids = ptrace.cloneThreads(mainTid, syscallInsn, scratch, asked, STOP_TIMEOUT_MS);
        for (int i = 0; i < rest.size(); i++) {
            out.add(new Restored(rest.get(i), tids[i], new RemoteSyscalls(ptrace, tids[i], syscallInsn)));
        }
        return out;
    }

    /** What pthread_create passes, less the tid address flags for a thread that had none (not a pthread). */
    static long cloneFlags(ThreadState t) {
        long flags = Clone3.PTHREAD_FLAGS;
        if (t.clearChildTid() == 0) {
            flags &= ~(Clone3.CLONE_PARENT_SETTID | Clone3.CLONE_CHILD_CLEARTID);
        }
        return flags;
    }

    private ThreadRestore() {
    }

    /**
     * Per-thread kernel state of every thread, each call run in all threads at once
     * ({@link ParallelSyscalls}): sigaltstack, tid address, robust list, rseq, name and
     * no_new_privs. Arguments that live in memory (stack_t, the name) get a slot of the
     * scratch area per thread. What clone3 already gave a new thread is not set again: its tid
     * address (CLONE_CHILD_CLEARTID), a disabled sigaltstack (the kernel clears it for a thread)
     * and the name it inherited from the main thread; each call costs every thread it runs in a
     * single step.
     *
     * @param threads       the main thread first, then the threads cloned from it
     * @param inheritedName the main thread's name when the others were cloned
     * @param scratch       writable tracee memory of at least {@link #SCRATCH_BYTES}
     */
    public static void kernelState(Ptrace ptrace, ProcessMemory mem, List<Restored> threads, String inheritedName,
                                   long scratch, long syscallInsn) {
        Restored main = threads.get(0);
        for (int from = 0; from < threads.size(); from += BATCH) {
            int first = from;
            List<Restored> batch = threads.subList(from, Math.min(threads.size(), from + BATCH));
            List<Integer> tids = batch.stream().map(Restored::tid).toList();
            ByteBuffer stacks = ByteBuffer.allocate(batch.size() * SLOT).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < batch.size(); i++) {
                ThreadState.SignalStack ss = batch.get(i).state().altStack();
                if (ss != null) { // "on the stack right now" is a state, not a setting
                    stacks.putLong(i * SLOT, ss.sp()).putInt(i * SLOT + 8, ss.flags() & ~SS_ONSTACK)
                            .putLong(i * SLOT + 16, ss.size());
                }
            }
            mem.write(scratch, stacks.array());
            ParallelSyscalls.call(ptrace, tids, syscallInsn, "sigaltstack", SyscallNumbers.SIGALTSTACK, i -> {
                ThreadState.SignalStack ss = batch.get(i).state().altStack();
                boolean cloned = batch.get(i) != main;
                return ss == null || cloned && (ss.flags() & SS_DISABLE) != 0 ? null
                        : new long[] {scratch + (long) i * SLOT, 0};
            });
            if (first == 0) { // the others got theirs from clone3
                main.remote().call("set_tid_address", SyscallNumbers.SET_TID_ADDRESS, main.state().clearChildTid());
            }
            ParallelSyscalls.call(ptrace, tids, syscallInsn, "set_robust_list", SyscallNumbers.SET_ROBUST_LIST, i -> {
                ThreadState t = batch.get(i).state();
                return t.robustListHead() == 0 ? null : new long[] {t.robustListHead(), t.robustListLength()};
            });
            ParallelSyscalls.call(ptrace, tids, syscallInsn, "rseq", SyscallNumbers.RSEQ, i -> {
                ThreadState.Rseq r = batch.get(i).state().rseq();
                return r == null ? null : new long[] {r.address(), r.length(), 0, r.signature()};
            });
            byte[] names = new byte[batch.size() * SLOT];
            boolean[] rename = new boolean[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                String name = batch.get(i).state().name();
                rename[i] = name != null && (batch.get(i) == main || !name.equals(inheritedName));
                if (rename[i]) {
                    byte[] b = name.getBytes(StandardCharsets.UTF_8);
                    System.arraycopy(b, 0, names, i * SLOT, Math.min(b.length, 15)); // TASK_COMM_LEN 16, NUL last
                }
            }
            mem.write(scratch, names);
            ParallelSyscalls.call(ptrace, tids, syscallInsn, "prctl(PR_SET_NAME)", SyscallNumbers.PRCTL,
                    i -> rename[i] ? new long[] {PR_SET_NAME, scratch + (long) i * SLOT} : null);
            ParallelSyscalls.call(ptrace, tids, syscallInsn, "prctl(PR_SET_NO_NEW_PRIVS)", SyscallNumbers.PRCTL,
                    i -> batch.get(i).state().noNewPrivs() ? new long[] {PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0} : null);
        }
    }

    /** Unregisters the husk's own rseq area before its memory goes away (the kernel would write into it). */
    public static void dropHuskRseq(Ptrace ptrace, RemoteSyscalls remote, int pid) {
        long[] r = ptrace.getRseq(pid);
        if (r != null) {
            remote.call("rseq unregister", SyscallNumbers.RSEQ, r[0], r[1], 1, r[2]);
        }
    }

    public static void cpuState(Ptrace ptrace, int pid, ThreadState t) {
        ptrace.setXstate(pid, t.xstate());
        ptrace.setSigmask(pid, t.blockedSignals());
        ptrace.setRegs(pid, resumeRegisters(t.regs()));
    }

    /** {@link #cpuState} of every thread; through the tracer helper in one request (or a few, for thousands). */
    public static void cpuStates(Ptrace ptrace, List<Restored> threads) {
        if (!ptrace.batchesThreads()) {
            for (Restored t : threads) {
                cpuState(ptrace, t.tid(), t.state());
            }
            return;
        }
        ptrace.setThreadsCpu(threads.stream().map(t -> new ThreadBatch.ThreadCpu(t.tid(),
                resumeRegisters(t.state().regs()), t.state().blockedSignals(), t.state().xstate())).toList());
    }

    /**
     * Registers to resume with. A thread frozen inside a system call is made to restart it, as
     * the kernel would have after a signal without handler; a call whose restart needs kernel
     * state that is gone (nanosleep's restart block) returns EINTR instead.
     */
    public static CpuRegisters resumeRegisters(CpuRegisters r) {
        if (r.origRax() < 0) {
            return r;
        }
        long rax = r.rax();
        if (rax == -Errno.ERESTARTSYS || rax == -Errno.ERESTARTNOINTR || rax == -Errno.ERESTARTNOHAND) {
            return r.withRaxRipOrigRax(r.origRax(), r.rip() - 2, -1);
        }
        if (rax == -Errno.ERESTART_RESTARTBLOCK) {
            return r.withRaxRipOrigRax(-Errno.EINTR, r.rip(), -1);
        }
        return r.withRaxRipOrigRax(rax, r.rip(), -1);
    }
}
