// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.List;

/**
 * Per-thread CPU and kernel state. Registers are as the thread stopped; a thread stopped inside
 * a system call carries the kernel's restart code in rax and the call number in origRax, and
 * restore decides how the call resumes.
 *
 * <p>{@code tid} is the thread's id in its own PID namespace (what gettid() returned inside
 * it; the same as the capturing agent saw unless the process ran in a nested namespace): the
 * id glibc and the JVM keep in memory, which restore gives back. The first thread of an image
 * is the main one (its tid is the process's own pid).
 *
 * @param name           the thread's comm (/proc/PID/task/TID/comm), or null in images from before threads
 * @param pendingSignals signals queued to this thread alone (tgkill, pthread_kill, faults) and not yet delivered
 * @param noNewPrivs     prctl(PR_SET_NO_NEW_PRIVS) was set on the thread
 */
public record ThreadState(int tid, CpuRegisters regs, byte[] xstate, long blockedSignals,
                          SignalStack altStack, Rseq rseq, long clearChildTid, long robustListHead,
                          long robustListLength, String name, List<PendingSignal> pendingSignals,
                          boolean noNewPrivs) {

    public ThreadState {
        pendingSignals = pendingSignals == null ? List.of() : List.copyOf(pendingSignals);
    }

    public record SignalStack(long sp, int flags, long size) {
    }

    public record Rseq(long address, long length, long signature) {
    }
}
