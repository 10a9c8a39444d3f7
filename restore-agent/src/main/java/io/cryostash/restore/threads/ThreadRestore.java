// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.threads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import io.cryostash.agent.linux.Errno;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.agent.remote.Clone3;
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
        long flags = Clone3.PTHREAD_FLAGS;
        if (t.clearChildTid() == 0) { // a thread its creator gave no tid address (not a pthread)
            flags &= ~(Clone3.CLONE_PARENT_SETTID | Clone3.CLONE_CHILD_CLEARTID);
        }
        int tid = Clone3.call(main, mem, scratch, "clone3 (thread " + t.tid() + ")", flags, 0, t.tid(),
                t.clearChildTid(), t.regs().fsBase()).child();
        WaitStatus st = ptrace.waitFor(tid, STOP_TIMEOUT_MS);
        if (!st.isInterruptStop()) {
            throw new TraceeException(tid, "new thread " + t.tid() + " did not stop as expected: " + st);
        }
        return new Restored(t, tid, new RemoteSyscalls(ptrace, tid, syscallInsn));
    }

    private ThreadRestore() {
    }

    public static void kernelState(RemoteSyscalls remote, ProcessMemory mem, ThreadState t, long scratch) {
        ThreadState.SignalStack ss = t.altStack();
        if (ss != null) {
            ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            int flags = ss.flags() & ~SS_ONSTACK; // "on the stack right now" is a state, not a setting
            b.putLong(ss.sp()).putInt(flags).putInt(0).putLong(ss.size());
            mem.write(scratch, b.array());
            remote.call("sigaltstack", SyscallNumbers.SIGALTSTACK, scratch, 0);
        }
        remote.call("set_tid_address", SyscallNumbers.SET_TID_ADDRESS, t.clearChildTid());
        if (t.robustListHead() != 0) {
            remote.call("set_robust_list", SyscallNumbers.SET_ROBUST_LIST, t.robustListHead(), t.robustListLength());
        }
        if (t.rseq() != null) {
            remote.call("rseq", SyscallNumbers.RSEQ, t.rseq().address(), t.rseq().length(), 0, t.rseq().signature());
        }
        if (t.name() != null) {
            byte[] name = Arrays.copyOf(t.name().getBytes(StandardCharsets.UTF_8), 16);
            name[15] = 0;
            mem.write(scratch, name);
            remote.call("prctl(PR_SET_NAME)", SyscallNumbers.PRCTL, PR_SET_NAME, scratch);
        }
        if (t.noNewPrivs()) {
            remote.call("prctl(PR_SET_NO_NEW_PRIVS)", SyscallNumbers.PRCTL, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
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
