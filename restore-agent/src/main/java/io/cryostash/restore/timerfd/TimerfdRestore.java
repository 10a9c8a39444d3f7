// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.timerfd;

import java.util.List;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.files.BatchedFdRestorer;
import io.cryostash.restore.files.DescriptorBatch;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.TimerfdFile;

/**
 * timerfd_create on the same clock (all of the image's in one {@link DescriptorBatch}), then, on
 * the agent's copy (the same timer), armed with the time that was left (relative: the time the
 * image spent stored does not count, as for a process that was stopped) and the same interval;
 * expirations not yet read are put back with TFD_IOC_SET_TICKS.
 */
public final class TimerfdRestore implements BatchedFdRestorer {
    static final int TFD_NONBLOCK = 04000;
    static final long TFD_IOC_SET_TICKS = 0x40085400L;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.TIMERFD;
    }

    @Override
    public void create(FdRestoreContext ctx, List<FdEntry> entries, DescriptorBatch batch) {
        for (FdEntry e : entries) {
            TimerfdFile t = (TimerfdFile) e.file();
            batch.create(e, "timerfd_create(clock " + t.clockId() + ")", SyscallNumbers.TIMERFD_CREATE, t.clockId(),
                    e.flags() & TFD_NONBLOCK);
        }
    }

    @Override
    public void finish(FdRestoreContext ctx, List<FdEntry> entries) {
        for (FdEntry e : entries) {
            TimerfdFile t = (TimerfdFile) e.file();
            if (t.remainingNanos() == 0 && t.intervalNanos() == 0 && t.ticks() == 0) {
                continue;
            }
            try (LocalFd copy = ctx.take(e.fd())) {
                if (t.remainingNanos() != 0 || t.intervalNanos() != 0) {
                    // a timer due at the very moment of capture shows 0 left: fire it as soon as possible
                    copy.timerfdSettime(t.intervalNanos(), t.remainingNanos() == 0 ? 1 : t.remainingNanos());
                }
                if (t.ticks() > 0) {
                    copy.ioctlSetLong(TFD_IOC_SET_TICKS, t.ticks());
                }
            }
        }
    }
}
