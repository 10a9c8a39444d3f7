// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.signalfd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.SignalfdFile;

/** signalfd4 with the saved mask and O_NONBLOCK as it was. */
public final class SignalfdRestore implements FdRestorer {
    static final int SFD_NONBLOCK = 04000;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.SIGNALFD;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        for (FdEntry e : entries) {
            long mask = ((SignalfdFile) e.file()).mask();
            ctx.memory().write(ctx.scratch(), ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(mask).array());
            long fd = ctx.check(e, "signalfd4", ctx.remote().raw(SyscallNumbers.SIGNALFD4, -1, ctx.scratch(), 8,
                    e.flags() & SFD_NONBLOCK));
            ctx.install(fd, e);
        }
    }
}
