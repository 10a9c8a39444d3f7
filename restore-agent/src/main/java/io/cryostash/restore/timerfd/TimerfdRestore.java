// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.timerfd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.TimerfdFile;

/**
 * timerfd_create on the same clock, armed with the time that was left (relative: the time the
 * image spent stored does not count, as for a process that was stopped) and the same interval;
 * expirations not yet read are put back with TFD_IOC_SET_TICKS.
 */
public final class TimerfdRestore implements FdRestorer {
    static final int TFD_NONBLOCK = 04000;
    static final long TFD_IOC_SET_TICKS = 0x40085400L;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.TIMERFD;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        for (FdEntry e : entries) {
            TimerfdFile t = (TimerfdFile) e.file();
            long fd = ctx.check(e, "timerfd_create(clock " + t.clockId() + ")",
                    ctx.remote().raw(SyscallNumbers.TIMERFD_CREATE, t.clockId(), e.flags() & TFD_NONBLOCK));
            ctx.install(fd, e);
            if (t.remainingNanos() != 0 || t.intervalNanos() != 0) {
                // a timer due at the very moment of capture shows 0 left: fire it as soon as possible
                long value = t.remainingNanos() == 0 ? 1 : t.remainingNanos();
                ByteBuffer spec = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(t.intervalNanos() / 1_000_000_000L).putLong(t.intervalNanos() % 1_000_000_000L)
                        .putLong(value / 1_000_000_000L).putLong(value % 1_000_000_000L);
                ctx.memory().write(ctx.scratch(), spec.array());
                ctx.check(e, "timerfd_settime", ctx.remote().raw(SyscallNumbers.TIMERFD_SETTIME, e.fd(), 0,
                        ctx.scratch(), 0));
            }
            if (t.ticks() > 0) {
                try (LocalFd copy = ctx.take(e.fd())) {
                    copy.ioctlSetLong(TFD_IOC_SET_TICKS, t.ticks());
                }
            }
        }
    }
}
