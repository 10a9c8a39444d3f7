// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.pipes;

import java.util.ArrayList;
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
    /** What pipe2 makes: F_SETPIPE_SZ only when the program changed it. */
    static final int DEFAULT_CAPACITY = 65536;

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
        for (Map.Entry<Long, List<FdEntry>> p : pipes.entrySet()) {
            int[] made = ctx.tree() == null ? null : ctx.tree().madeEarlier(p.getKey());
            if (made != null) {
                takeEnds(ctx, p.getValue(), made);
            } else {
                restorePipe(ctx, p.getValue());
            }
        }
    }

    /** Ends of a pipe another process of the tree made: taken from the copies it parked. */
    private static void takeEnds(FdRestoreContext ctx, List<FdEntry> ends, int[] made) {
        for (FdEntry e : ends) {
            int from = ((PipeFile) e.file()).readEnd() ? made[1] : made[2];
            ctx.install(ctx.takeFrom(made[0], from, e), e);
            ctx.statusFlags(e, STATUS_FLAGS);
        }
    }

    private static void restorePipe(FdRestoreContext ctx, List<FdEntry> ends) {
        FdEntry first = ends.get(0);
        PipeFile pipe = (PipeFile) first.file();
        ctx.check(first, "pipe2", ctx.remote().raw(SyscallNumbers.PIPE2, ctx.scratch(), 0));
        long both = ctx.memory().readLong(ctx.scratch());
        long readEnd = (int) both;
        long writeEnd = (int) (both >>> 32);
        fill(ctx, first, pipe, (int) writeEnd);
        if (ctx.tree() != null && ctx.tree().neededLater(pipe.pipeId())) {
            // a later process of the tree holds an end: copies wait here for it until the tree is built
            ctx.tree().parked(pipe.pipeId(),
                    (int) ctx.remote().call("keep the read end", SyscallNumbers.FCNTL, readEnd, 0, ctx.parkBase()),
                    (int) ctx.remote().call("keep the write end", SyscallNumbers.FCNTL, writeEnd, 0, ctx.parkBase()));
        }
        // the first entry of each end takes the end itself; more entries of an end (opened again
        // through /proc, not duplicates) get copies made once every end is in place
        FdEntry readEntry = null;
        FdEntry writeEntry = null;
        List<FdEntry> more = new ArrayList<>();
        for (FdEntry e : ends) {
            if (((PipeFile) e.file()).readEnd()) {
                if (readEntry == null) {
                    readEntry = e;
                } else {
                    more.add(e);
                }
            } else if (writeEntry == null) {
                writeEntry = e;
            } else {
                more.add(e);
            }
        }
        if (readEntry != null && writeEntry != null) {
            ctx.placeAll(new long[] {readEnd, writeEnd}, new FdEntry[] {readEntry, writeEntry});
        } else if (readEntry != null) {
            ctx.remote().raw(SyscallNumbers.CLOSE, writeEnd); // nobody held the write end any more
            ctx.install(readEnd, readEntry);
        } else {
            ctx.remote().raw(SyscallNumbers.CLOSE, readEnd);
            ctx.install(writeEnd, writeEntry);
        }
        for (FdEntry e : more) {
            int from = ((PipeFile) e.file()).readEnd() ? readEntry.fd() : writeEntry.fd();
            ctx.install(ctx.check(e, "dup of the pipe end", ctx.remote().raw(SyscallNumbers.FCNTL, from, 0,
                    ctx.parkBase())), e);
        }
        for (FdEntry e : ends) {
            ctx.statusFlags(e, STATUS_FLAGS);
        }
    }

    /** Capacity first (the queued bytes may need all of it), then the bytes, through the write end. */
    static void fill(FdRestoreContext ctx, FdEntry e, PipeFile pipe, int writeEnd) {
        if (pipe.capacity() > 0 && pipe.capacity() != DEFAULT_CAPACITY) {
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
