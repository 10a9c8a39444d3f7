// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.eventfd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.EventfdFile;

/**
 * eventfd2 with the same flags; the counter is then written by the agent on its own copy of the
 * descriptor (eventfd2 takes only 32 bits of initial value, the counter has 64).
 */
public final class EventfdRestore implements FdRestorer {
    static final int EFD_SEMAPHORE = 1;
    static final int EFD_NONBLOCK = 04000;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.EVENTFD;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        for (FdEntry e : entries) {
            EventfdFile f = (EventfdFile) e.file();
            int flags = (f.semaphore() ? EFD_SEMAPHORE : 0) | (e.flags() & EFD_NONBLOCK);
            long fd = ctx.check(e, "eventfd2", ctx.remote().raw(SyscallNumbers.EVENTFD2, 0, flags));
            ctx.install(fd, e);
            if (f.counter() != 0) {
                try (LocalFd copy = ctx.take(e.fd())) {
                    copy.writeFully(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(f.counter()).array());
                }
            }
        }
    }
}
