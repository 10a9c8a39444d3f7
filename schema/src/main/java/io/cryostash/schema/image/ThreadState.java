// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/**
 * Per-thread CPU and kernel state. Registers are as the thread stopped; a thread stopped inside
 * a system call carries the kernel's restart code in rax and the call number in origRax, and
 * restore decides how the call resumes.
 */
public record ThreadState(int tid, CpuRegisters regs, byte[] xstate, long blockedSignals,
                          SignalStack altStack, Rseq rseq, long clearChildTid, long robustListHead,
                          long robustListLength) {

    public record SignalStack(long sp, int flags, long size) {
    }

    public record Rseq(long address, long length, long signature) {
    }
}
