// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.locks;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.LockRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.FileLock;

/**
 * Takes the saved locks again, without waiting: a lock another process took since the capture
 * fails the restore, naming the file (the program relied on holding it).
 */
public final class LockRestore implements LockRestorer {
    static final int LOCK_SH = 1;
    static final int LOCK_EX = 2;
    static final int LOCK_NB = 4;
    static final int F_SETLK = 6;
    static final int F_OFD_SETLK = 37;
    static final short F_RDLCK = 0;
    static final short F_WRLCK = 1;

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> fds) {
        for (FdEntry e : fds) {
            for (FileLock l : e.locks()) {
                long r;
                if (l.type() == FileLock.Type.FLOCK) {
                    r = ctx.remote().raw(SyscallNumbers.FLOCK, e.fd(), (l.write() ? LOCK_EX : LOCK_SH) | LOCK_NB);
                } else {
                    // struct flock: short type, short whence, (pad), off_t start, off_t len, pid_t pid, (pad)
                    ByteBuffer b = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
                    b.putShort(l.write() ? F_WRLCK : F_RDLCK).putShort((short) 0).putInt(0)
                            .putLong(l.start()).putLong(l.length()).putInt(0).putInt(0);
                    ctx.memory().write(ctx.scratch(), b.array());
                    r = ctx.remote().raw(SyscallNumbers.FCNTL, e.fd(),
                            l.type() == FileLock.Type.OFDLCK ? F_OFD_SETLK : F_SETLK, ctx.scratch());
                }
                if (r < 0) {
                    throw new RestoreException("cannot take the " + l.type() + " " + (l.write() ? "write" : "read")
                            + " lock on " + e.target() + " (descriptor " + e.fd() + ") again (errno " + -r + ")"
                            + (r == -11 || r == -13 ? ": another process holds a conflicting lock now" : ""));
                }
            }
        }
    }
}
