// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.epoll;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.EpollFile;

/**
 * epoll_create1, then every registration with epoll_ctl(EPOLL_CTL_ADD) and the saved events and
 * data. Runs after every other descriptor exists, duplicates included (see DescriptorRestore):
 * registrations name them. Readiness follows from the restored files themselves.
 */
public final class EpollRestore implements FdRestorer {
    static final int EPOLL_CTL_ADD = 1;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.EPOLL;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        for (FdEntry e : entries) {
            long fd = ctx.check(e, "epoll_create1", ctx.remote().raw(SyscallNumbers.EPOLL_CREATE1, 0));
            ctx.install(fd, e);
            for (EpollFile.Target t : ((EpollFile) e.file()).targets()) {
                // struct epoll_event is packed on x86-64: 4 bytes of events, then 8 of data
                ByteBuffer ev = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(t.events()).putLong(t.data());
                ctx.memory().write(ctx.scratch(), ev.array());
                ctx.check(e, "epoll_ctl(ADD, " + t.fd() + ")", ctx.remote().raw(SyscallNumbers.EPOLL_CTL, e.fd(),
                        EPOLL_CTL_ADD, t.fd(), ctx.scratch()));
            }
        }
    }
}
