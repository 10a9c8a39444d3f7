// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.pipes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.PipeFile;

/**
 * FIFOs, reopened by path. A helper descriptor holding both ends is opened first, so that
 * opening one end alone neither blocks nor fails for want of the other, and the bytes that were
 * in flight go back in through it; it is closed once the process's ends are in place.
 */
public final class FifoRestore implements FdRestorer {
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 04000;
    static final int O_CREAT = 0100;
    static final int O_TRUNC = 01000;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.FIFO;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        Map<Long, List<FdEntry>> fifos = new LinkedHashMap<>();
        for (FdEntry e : entries) {
            fifos.computeIfAbsent(((PipeFile) e.file()).pipeId(), k -> new ArrayList<>()).add(e);
        }
        for (List<FdEntry> ends : fifos.values()) {
            FdEntry first = ends.get(0);
            ctx.memory().writeString(ctx.scratch(), first.target());
            int both = ctx.park(ctx.check(first, "open " + first.target(),
                    ctx.remote().raw(SyscallNumbers.OPEN, ctx.scratch(), O_RDWR | O_NONBLOCK, 0)));
            PipeRestore.fill(ctx, first, (PipeFile) first.file(), both);
            for (FdEntry e : ends) {
                ctx.memory().writeString(ctx.scratch(), e.target());
                int flags = e.flags() & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | FdRestoreContext.O_CLOEXEC);
                long fd = ctx.check(e, "open " + e.target(),
                        ctx.remote().raw(SyscallNumbers.OPEN, ctx.scratch(), flags | O_NONBLOCK, 0));
                ctx.install(ctx.park(fd), e);
                ctx.statusFlags(e, PipeRestore.STATUS_FLAGS);
            }
            ctx.remote().raw(SyscallNumbers.CLOSE, both);
        }
    }
}
