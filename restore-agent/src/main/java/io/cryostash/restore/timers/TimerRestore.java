// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.timers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.ProcessTimers;

/**
 * Arms the timers again, last before the process runs (so the restore's own time does not
 * count against them), with the time they had left. POSIX timers get their ids back: with
 * PR_TIMER_CREATE_RESTORE_IDS (Linux 6.17+) timer_create takes the id it is given; on an older
 * kernel, ids come one after the other, and timers are made and deleted until the saved one
 * comes up.
 */
public final class TimerRestore {
    static final int PR_TIMER_CREATE_RESTORE_IDS = 77;
    static final int MAX_TRIES = 1 << 16;

    private TimerRestore() {
    }

    /**
     * Runs in the main thread once every thread exists: a timer that signals one thread is
     * aimed at it by its tid, which the kernel checks is of this process.
     *
     * @param imageMainTid the main thread's tid in the image
     * @param ownPid       the restored process's pid as it sees it: the image's, or a new one
     *                     ({@code --new-pid}, single-threaded only); other threads keep their tids
     */
    public static void restore(RemoteSyscalls remote, ProcessMemory mem, ProcessTimers timers, long scratch,
                               int imageMainTid, int ownPid) {
        for (ProcessTimers.PosixTimer t : timers.posixTimers()) {
            int target = t.targetTid() == 0 || t.targetTid() == imageMainTid ? ownPid : t.targetTid();
            create(remote, mem, t, scratch, target);
            if (t.remainingNanos() != 0) {
                ByteBuffer spec = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(t.intervalNanos() / 1_000_000_000L).putLong(t.intervalNanos() % 1_000_000_000L)
                        .putLong(t.remainingNanos() / 1_000_000_000L).putLong(t.remainingNanos() % 1_000_000_000L);
                mem.write(scratch, spec.array());
                remote.call("timer_settime " + t.id(), SyscallNumbers.TIMER_SETTIME, t.id(), 0, scratch, 0);
            }
        }
        for (ProcessTimers.IntervalTimer t : timers.intervalTimers()) {
            ByteBuffer v = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(t.intervalMicros() / 1_000_000).putLong(t.intervalMicros() % 1_000_000)
                    .putLong(t.remainingMicros() / 1_000_000).putLong(t.remainingMicros() % 1_000_000);
            mem.write(scratch, v.array());
            remote.call("setitimer " + t.which(), SyscallNumbers.SETITIMER, t.which(), scratch, 0);
        }
    }

    private static void create(RemoteSyscalls remote, ProcessMemory mem, ProcessTimers.PosixTimer t, long scratch,
                               int target) {
        // struct sigevent: sigval (8), signo (4), notify (4), then the union whose first int is the thread id
        ByteBuffer ev = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(t.value()).putInt(t.signal())
                .putInt(t.notifyHow()).putInt(t.signalsOneThread() ? target : 0);
        mem.write(scratch, ev.array());
        long idAt = scratch + 64;
        boolean byId = remote.raw(SyscallNumbers.PRCTL, PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0, 0) == 0;
        try {
            for (int i = 0; i < MAX_TRIES; i++) {
                mem.write(idAt, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(t.id()).array());
                remote.call("timer_create", SyscallNumbers.TIMER_CREATE, t.clockId(), scratch, idAt);
                int got = ByteBuffer.wrap(mem.read(idAt, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
                if (got == t.id()) {
                    return;
                }
                remote.raw(SyscallNumbers.TIMER_DELETE, got);
                if (byId || got > t.id()) {
                    break;
                }
            }
        } finally {
            if (byId) {
                remote.raw(SyscallNumbers.PRCTL, PR_TIMER_CREATE_RESTORE_IDS, 0, 0, 0, 0);
            }
        }
        throw new RestoreException("cannot give POSIX timer " + t.id() + " its id again on this kernel");
    }
}
