// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.remote;

import java.util.List;
import java.util.function.IntFunction;

import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.WaitStatus;
import io.cryostash.schema.image.CpuRegisters;

/**
 * One system call run in many stopped threads of a process at once. {@link RemoteSyscalls}
 * waits for each call before the next: the tracee must be scheduled, run one instruction and
 * stop, which costs a wake-up each time (far more on a busy machine than the call itself).
 * Here every thread is set up and started first and then each is waited for, so the threads
 * run their calls side by side and a process of N threads costs about one wake-up per call
 * instead of N. Same rules as {@link RemoteSyscalls}: every signal blocked during the step,
 * {@code orig_rax = -1}, registers and mask put back; call only on the tracer thread.
 */
public final class ParallelSyscalls {
    private static final long STEP_TIMEOUT_MS = 10_000;
    private static final long ALL_SIGNALS = -1L;

    private ParallelSyscalls() {
    }

    /**
     * Runs system call {@code nr} in each of {@code tids} (all stopped, traced by us, in one
     * process so that {@code syscallInsn} is valid for each).
     *
     * @param args arguments for the thread at an index, or null to leave that thread out
     * @return each thread's raw result (-errno on failure); 0 for threads left out
     * @throws TraceeException naming the first thread whose call failed, or that did not step
     */
    public static long[] call(Ptrace ptrace, List<Integer> tids, long syscallInsn, String what, int nr,
                              IntFunction<long[]> args) {
        int n = tids.size();
        CpuRegisters[] saved = new CpuRegisters[n];
        long[] masks = new long[n];
        long[] results = new long[n];
        TraceeException failure = null;
        for (int i = 0; i < n; i++) {
            long[] a = args.apply(i);
            if (a == null) {
                continue;
            }
            long[] six = new long[6];
            System.arraycopy(a, 0, six, 0, a.length);
            int tid = tids.get(i);
            saved[i] = ptrace.getRegs(tid);
            masks[i] = ptrace.getSigmask(tid);
            ptrace.setSigmask(tid, ALL_SIGNALS);
            ptrace.setRegs(tid, saved[i].forSyscall(syscallInsn, nr, six[0], six[1], six[2], six[3], six[4], six[5]));
            ptrace.singleStep(tid);
        }
        for (int i = 0; i < n; i++) {
            if (saved[i] == null) {
                continue;
            }
            int tid = tids.get(i);
            try {
                WaitStatus st = ptrace.waitFor(tid, STEP_TIMEOUT_MS);
                if (!st.stopped()) {
                    throw new TraceeException(tid, "thread ended during remote " + what + ": " + st);
                }
                if (st.stopSignal() != WaitStatus.SIGTRAP || st.event() != 0) {
                    throw new TraceeException(tid, "remote " + what + " stopped with " + st
                            + " instead of the SIGTRAP of its single step");
                }
                results[i] = ptrace.getRegs(tid).rax();
                ptrace.setRegs(tid, saved[i]);
                ptrace.setSigmask(tid, masks[i]);
                if (results[i] < 0 && results[i] > -4096 && failure == null) {
                    failure = new TraceeException(tid, "remote " + what, (int) -results[i]);
                }
            } catch (TraceeException e) {
                failure = failure == null ? e : failure; // still collect the others: none is left mid-call
            }
        }
        if (failure != null) {
            throw failure;
        }
        return results;
    }
}
