// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.signals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteScratch;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.schema.image.SignalAction;

/**
 * Signal dispositions: the kernel shows them to nobody but the process itself, so each one is
 * read with rt_sigaction run inside the tracee. Only signals that /proc/PID/status lists as
 * caught or ignored are asked about: every remote call lengthens the freeze and the window in
 * which a dying agent would leave the process with injected registers.
 */
public final class SignalCapture {
    public static final int NSIG = 64;
    static final int SIGKILL = 9;
    static final int SIGSTOP = 19;
    /** The kernel's struct sigaction on x86_64: handler, flags, restorer, 64-bit mask. */
    public static final int KSIGACTION_SIZE = 32;

    private SignalCapture() {
    }

    /** @param nonDefault bit (sig - 1) set for each signal that is caught or ignored (SigCgt | SigIgn) */
    public static List<SignalAction> capture(RemoteSyscalls remote, RemoteScratch scratch, long nonDefault) {
        List<SignalAction> out = new ArrayList<>();
        long a = scratch.address();
        for (int sig = 1; sig <= NSIG; sig++) {
            if (sig == SIGKILL || sig == SIGSTOP || (nonDefault & (1L << (sig - 1))) == 0) {
                continue;
            }
            remote.call("rt_sigaction(" + sig + ")", SyscallNumbers.RT_SIGACTION, sig, 0, a, 8);
            ByteBuffer b = ByteBuffer.wrap(scratch.memory().read(a, KSIGACTION_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
            SignalAction act = new SignalAction(sig, b.getLong(0), b.getLong(8), b.getLong(16), b.getLong(24));
            if (!act.isDefault()) {
                out.add(act);
            }
        }
        return out;
    }
}
