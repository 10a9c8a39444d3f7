// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.threads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.cryostash.agent.linux.Errno;
import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.ThreadState;

/** Per-thread kernel state (sigaltstack, tid address, robust list, rseq, mask) and, last, the CPU state. */
public final class ThreadRestore {
    static final int SS_ONSTACK = 1;
    static final int SS_DISABLE = 2;

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
