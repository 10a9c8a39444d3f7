// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.signals;

import java.util.List;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.schema.image.PendingSignal;

/**
 * Queues the signals that were pending at the checkpoint again, each with its own siginfo:
 * rt_sigqueueinfo for the process-wide queue, rt_tgsigqueueinfo for a thread's own. The kernel
 * lets a task queue a siginfo that claims to come from kill() or tgkill() only to itself, so
 * each call runs in the task it queues to: the process-wide ones in the main thread (whose tid
 * is the pid), a thread's own in that thread. Every thread blocks every signal until its mask
 * is set last, so nothing is delivered before the process runs.
 */
public final class PendingSignalRestore {
    private PendingSignalRestore() {
    }

    /** The process-wide queue; {@code main} runs in the main thread, {@code ownPid} as the process sees itself. */
    public static void process(RemoteSyscalls main, ProcessMemory mem, long scratch, int ownPid,
                               List<PendingSignal> signals) {
        for (PendingSignal p : signals) {
            mem.write(scratch, p.siginfo());
            main.call("rt_sigqueueinfo(" + p.signal() + ")", SyscallNumbers.RT_SIGQUEUEINFO, ownPid, p.signal(),
                    scratch);
        }
    }

    /** One thread's own queue; {@code thread} runs in it, {@code ownTid} as the process sees it. */
    public static void thread(RemoteSyscalls thread, ProcessMemory mem, long scratch, int ownPid, int ownTid,
                              List<PendingSignal> signals) {
        for (PendingSignal p : signals) {
            mem.write(scratch, p.siginfo());
            thread.call("rt_tgsigqueueinfo(" + p.signal() + " to thread " + ownTid + ")",
                    SyscallNumbers.RT_TGSIGQUEUEINFO, ownPid, ownTid, p.signal(), scratch);
        }
    }
}
