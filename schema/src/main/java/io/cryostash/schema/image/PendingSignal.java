// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/**
 * A signal queued to a thread (or to the whole process) and not yet delivered when the process
 * was frozen, typically because it was blocked. {@code siginfo} is the kernel's siginfo_t as
 * PTRACE_PEEKSIGINFO returned it (128 bytes): sender, code and value travel unchanged, so the
 * restored program gets the same siginfo the original would have.
 */
public record PendingSignal(int signal, byte[] siginfo) {
    public static final int SIGINFO_BYTES = 128;
}
