// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.signals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.schema.image.SignalAction;

/**
 * Signal dispositions: every signal the image or the husk does not leave at its default gets
 * the image's action (or the default back).
 */
public final class SignalRestore {
    static final int NSIG = 64;

    private SignalRestore() {
    }

    /** @param huskNonDefault the husk's caught or ignored signals (SigCgt | SigIgn), bit sig - 1 */
    public static void restore(RemoteSyscalls remote, ProcessMemory mem, List<SignalAction> actions, long scratch,
                               long huskNonDefault) {
        Map<Integer, SignalAction> bySignal = new HashMap<>();
        actions.forEach(a -> bySignal.put(a.signal(), a));
        for (int sig = 1; sig <= NSIG; sig++) {
            if (sig == 9 || sig == 19 || (!bySignal.containsKey(sig) && (huskNonDefault & (1L << (sig - 1))) == 0)) {
                continue;
            }
            SignalAction a = bySignal.getOrDefault(sig, new SignalAction(sig, 0, 0, 0, 0));
            ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(a.handler()).putLong(a.flags()).putLong(a.restorer()).putLong(a.mask());
            mem.write(scratch, b.array());
            remote.call("rt_sigaction(" + sig + ")", SyscallNumbers.RT_SIGACTION, sig, scratch, 0, 8);
        }
    }
}
