// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.signals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import io.cryostash.agent.linux.Ptrace;
import io.cryostash.schema.image.PendingSignal;

/**
 * Signals queued and not yet delivered (PTRACE_PEEKSIGINFO, which leaves the queues as they
 * are): a thread's own queue (tgkill, pthread_kill, faults) and the process-wide one (kill,
 * sigqueue). Mostly blocked signals; also any that arrived while the process was frozen.
 */
public final class PendingSignalCapture {
    private PendingSignalCapture() {
    }

    /** Must run on the tracer thread, with {@code tid} stopped. */
    public static List<PendingSignal> thread(Ptrace ptrace, int tid) {
        return decode(ptrace.peekSigInfo(tid, false));
    }

    /** The process-wide queue, read through any stopped thread of the process. */
    public static List<PendingSignal> process(Ptrace ptrace, int tid) {
        return decode(ptrace.peekSigInfo(tid, true));
    }

    private static List<PendingSignal> decode(List<byte[]> infos) {
        return infos.stream().map(b -> new PendingSignal(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(0),
                b)).toList();
    }
}
