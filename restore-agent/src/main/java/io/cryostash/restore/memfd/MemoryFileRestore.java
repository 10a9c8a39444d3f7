// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memfd;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.MemoryFile;

/**
 * memfds (memfd_create with the same name, filled, sealed again) and deleted files (created
 * again at their path with their permissions and the image's file-system ids, filled, opened
 * with the saved flags, then unlinked, so the descriptor reads "path (deleted)" again; when the
 * path is taken meanwhile, a free name beside it is used). The agent writes the contents
 * through /proc/HUSK/fd/N; offsets and status flags follow.
 */
public final class MemoryFileRestore implements FdRestorer {
    static final int MFD_ALLOW_SEALING = 2;
    static final int F_SEAL_SEAL = 1;
    static final int F_ADD_SEALS = 1033;
    static final int F_SETFL = 4;
    static final int O_ACCMODE = 3;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;
    static final int O_TRUNC = 01000;
    static final int STATUS_FLAGS = 02000 | 04000; // O_APPEND, O_NONBLOCK
    static final int EEXIST = 17;

    private final FdEntry.Kind kind;

    private MemoryFileRestore(FdEntry.Kind kind) {
        this.kind = kind;
    }

    public static MemoryFileRestore memfds() {
        return new MemoryFileRestore(FdEntry.Kind.MEMFD);
    }

    public static MemoryFileRestore deletedFiles() {
        return new MemoryFileRestore(FdEntry.Kind.DELETED_FILE);
    }

    @Override
    public FdEntry.Kind kind() {
        return kind;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        for (FdEntry e : entries) {
            MemoryFile f = (MemoryFile) e.file();
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(ctx.contents(f.content()));
            } catch (IOException ex) {
                throw new RestoreException("cannot read the stored contents of descriptor " + e.fd() + ": " + ex.getMessage(), ex);
            }
            long fd = kind == FdEntry.Kind.MEMFD ? memfd(ctx, e, f, bytes) : deleted(ctx, e, f, bytes);
            ctx.install(fd, e);
            ctx.statusFlags(e, STATUS_FLAGS);
            if (e.position() != 0) {
                ctx.check(e, "lseek", ctx.remote().raw(SyscallNumbers.LSEEK, e.fd(), e.position(), 0));
            }
        }
    }

    private static long memfd(FdRestoreContext ctx, FdEntry e, MemoryFile f, byte[] bytes) {
        ctx.memory().writeString(ctx.scratch(), f.name());
        int flags = f.seals() == F_SEAL_SEAL ? 0 : MFD_ALLOW_SEALING;
        int fd = ctx.park(ctx.check(e, "memfd_create", ctx.remote().raw(SyscallNumbers.MEMFD_CREATE, ctx.scratch(), flags)));
        write(ctx, fd, bytes);
        if (flags != 0 && f.seals() != 0) { // after the contents: F_SEAL_WRITE would refuse them
            ctx.check(e, "fcntl(F_ADD_SEALS)", ctx.remote().raw(SyscallNumbers.FCNTL, fd, F_ADD_SEALS, f.seals()));
        }
        if ((e.flags() & O_ACCMODE) != O_RDWR) { // opened again read-only (or write-only) through /proc
            ctx.memory().writeString(ctx.scratch(), "/proc/self/fd/" + fd);
            int narrowed = ctx.park(ctx.check(e, "reopen", ctx.remote().raw(SyscallNumbers.OPEN, ctx.scratch(),
                    e.flags() & O_ACCMODE, 0)));
            ctx.remote().raw(SyscallNumbers.CLOSE, fd);
            return narrowed;
        }
        return fd;
    }

    private static long deleted(FdRestoreContext ctx, FdEntry e, MemoryFile f, byte[] bytes) {
        String path = f.name();
        long made = -EEXIST;
        for (int attempt = 0; attempt < 8 && made == -EEXIST; attempt++) {
            if (attempt > 0) {
                path = f.name() + ".cryostash-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
            }
            ctx.memory().writeString(ctx.scratch(), path);
            made = ctx.remote().raw(SyscallNumbers.OPEN, ctx.scratch(), O_RDWR | O_CREAT | O_EXCL, f.mode());
        }
        int scratchFd = ctx.park(ctx.check(e, "create " + path + " again", made));
        try {
            write(ctx, scratchFd, bytes);
            ctx.memory().writeString(ctx.scratch(), path);
            int flags = e.flags() & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | FdRestoreContext.O_CLOEXEC);
            return ctx.park(ctx.check(e, "open " + path, ctx.remote().raw(SyscallNumbers.OPEN, ctx.scratch(), flags, 0)));
        } finally {
            ctx.memory().writeString(ctx.scratch(), path);
            ctx.remote().raw(SyscallNumbers.UNLINK, ctx.scratch());
            ctx.remote().raw(SyscallNumbers.CLOSE, scratchFd);
        }
    }

    private static void write(FdRestoreContext ctx, int fd, byte[] bytes) {
        if (bytes.length > 0) {
            try (LocalFd w = ctx.reopen(fd, LocalFd.O_WRONLY)) {
                w.writeFully(bytes);
            }
        }
    }
}
