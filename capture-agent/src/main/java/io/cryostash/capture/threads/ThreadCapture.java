// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.threads;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.Syscalls;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.remote.RemoteScratch;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.ThreadState;

/** Registers, FPU/vector state, signal mask, sigaltstack, rseq, tid address and robust list of one thread. */
public final class ThreadCapture {
    static final int PR_GET_TID_ADDRESS = 40;

    private ThreadCapture() {
    }

    /** Must run on the tracer thread, with {@code tid} stopped. */
    public static ThreadState capture(Ptrace ptrace, int tid, RemoteSyscalls remote, RemoteScratch scratch) {
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
        long a = scratch.address();
        remote.call("sigaltstack", SyscallNumbers.SIGALTSTACK, 0, a);
        ByteBuffer ss = ByteBuffer.wrap(scratch.memory().read(a, 24)).order(ByteOrder.LITTLE_ENDIAN);
        ThreadState.SignalStack alt = new ThreadState.SignalStack(ss.getLong(0), ss.getInt(8), ss.getLong(16));
        remote.call("prctl(PR_GET_TID_ADDRESS)", SyscallNumbers.PRCTL, PR_GET_TID_ADDRESS, a);
        long tidAddress = scratch.memory().readLong(a);
        long[] robust = Syscalls.robustList(tid);
        return new ThreadState(tid, regs, xstate, mask, alt, rseq, tidAddress, robust[0], robust[1]);
    }
}
