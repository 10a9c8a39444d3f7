// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inotify;

import java.util.List;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.InotifyFile;

/**
 * inotify_init1, then the watches in number order. The program knows its watches by number, and
 * the kernel hands numbers out one after the other: a number below the saved one (a watch removed
 * before the capture left a gap) is taken and removed again until the saved number comes up.
 * Removing queues IN_IGNORED events nobody expects, so the queue is emptied before the process
 * gets the descriptor.
 */
public final class InotifyRestore implements FdRestorer {
    static final int IN_NONBLOCK = 04000;
    static final int MAX_SKIPS = 1 << 16;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.INOTIFY;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        for (FdEntry e : entries) {
            int fd = ctx.park(ctx.check(e, "inotify_init1",
                    ctx.remote().raw(SyscallNumbers.INOTIFY_INIT1, e.flags() & IN_NONBLOCK)));
            boolean skipped = false;
            for (InotifyFile.Watch w : ((InotifyFile) e.file()).watches()) {
                ctx.memory().writeString(ctx.scratch(), w.path());
                for (int i = 0; ; i++) {
                    long wd = ctx.check(e, "inotify_add_watch " + w.path(),
                            ctx.remote().raw(SyscallNumbers.INOTIFY_ADD_WATCH, fd, ctx.scratch(), w.mask()));
                    if (wd == w.wd()) {
                        break;
                    }
                    if (wd > w.wd() || i > MAX_SKIPS) {
                        throw new RestoreException("cannot give the inotify watch on " + w.path() + " (descriptor "
                                + e.fd() + ") its number " + w.wd() + " again: the kernel gave " + wd);
                    }
                    ctx.remote().raw(SyscallNumbers.INOTIFY_RM_WATCH, fd, wd);
                    skipped = true;
                }
            }
            if (skipped) {
                drain(ctx, fd, e.flags() & IN_NONBLOCK);
            }
            ctx.install(fd, e);
        }
    }

    private static void drain(FdRestoreContext ctx, int fd, int statusFlags) {
        try (LocalFd copy = ctx.take(fd)) { // the same open file: its status flags are the process's
            copy.fcntl(LocalFd.F_SETFL, LocalFd.O_NONBLOCK);
            byte[] buf = new byte[4096];
            while (copy.read(buf, buf.length) > 0) {
                // IN_IGNORED events of the watches taken and removed above
            }
            copy.fcntl(LocalFd.F_SETFL, statusFlags);
        }
    }
}
