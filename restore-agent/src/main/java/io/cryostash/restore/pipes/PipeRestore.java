// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.pipes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.PipeFile;

/**
 * Pipes: one pipe2 per pipe of the image, its capacity set again, the bytes that were in flight
 * written back into it (by the agent, through the husk's write end), then each end put at its
 * number with its flags. An end the process no longer held is closed, as it was.
 */
public final class PipeRestore implements FdRestorer {
    static final int F_SETFL = 4;
    static final int F_SETPIPE_SZ = 1031;
    /** Status flags a pipe end keeps (O_NONBLOCK, O_DIRECT for packet mode). */
    static final int STATUS_FLAGS = 04000 | 040000;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.PIPE;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        Map<Long, List<FdEntry>> pipes = new LinkedHashMap<>();
        for (FdEntry e : entries) {
            pipes.computeIfAbsent(((PipeFile) e.file()).pipeId(), k -> new ArrayList<>()).add(e);
        }
        for (List<FdEntry> ends : pipes.values()) {
            restorePipe(ctx, ends);
        }
    }

    private static void restorePipe(FdRestoreContext ctx, List<FdEntry> ends) {
        FdEntry first = ends.get(0);
        PipeFile pipe = (PipeFile) first.file();
        ctx.check(first, "pipe2", ctx.remote().raw(SyscallNumbers.PIPE2, ctx.scratch(), 0));
        long both = ctx.memory().readLong(ctx.scratch());
        int readEnd = ctx.park((int) both);
        int writeEnd = ctx.park((int) (both >>> 32));
        fill(ctx, first, pipe, writeEnd);
        Map<Boolean, Integer> installed = new HashMap<>();
        for (FdEntry e : ends) {
            boolean read = ((PipeFile) e.file()).readEnd();
            Integer already = installed.get(read);
            long made = already == null ? (read ? readEnd : writeEnd)
                    : ctx.check(e, "dup of the pipe end", ctx.remote().raw(SyscallNumbers.FCNTL, already, 0,
                            ctx.parkBase()));
            ctx.install(made, e);
            ctx.check(e, "fcntl(F_SETFL)", ctx.remote().raw(SyscallNumbers.FCNTL, e.fd(), F_SETFL,
                    e.flags() & STATUS_FLAGS));
            installed.putIfAbsent(read, e.fd());
        }
        if (!installed.containsKey(true)) {
            ctx.remote().raw(SyscallNumbers.CLOSE, readEnd);
        }
        if (!installed.containsKey(false)) {
            ctx.remote().raw(SyscallNumbers.CLOSE, writeEnd);
        }
    }

    /** Capacity first (the queued bytes may need all of it), then the bytes, through the write end. */
    static void fill(FdRestoreContext ctx, FdEntry e, PipeFile pipe, int writeEnd) {
        if (pipe.capacity() > 0) {
            ctx.check(e, "fcntl(F_SETPIPE_SZ, " + pipe.capacity() + ")",
                    ctx.remote().raw(SyscallNumbers.FCNTL, writeEnd, F_SETPIPE_SZ, pipe.capacity()));
        }
        if (pipe.queued() != null && pipe.queued().length > 0) {
            try (LocalFd w = ctx.reopen(writeEnd, LocalFd.O_WRONLY | LocalFd.O_NONBLOCK)) {
                w.writeFully(pipe.queued());
            }
        }
    }
}
