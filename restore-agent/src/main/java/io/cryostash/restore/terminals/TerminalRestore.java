// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.terminals;

import java.util.List;

import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.restore.files.FdRestorer;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.TerminalFile;

/**
 * Puts every terminal descriptor on the terminal the restore was given ({@code --tty}): opened
 * with the saved access mode, the saved settings applied (TCSETS), made the process's
 * controlling terminal again (TIOCSCTTY; the husk leads a session of its own) with the process's
 * group in the foreground when it was. The window size is the new terminal's: the restorer sends
 * SIGWINCH afterwards, so a full-screen program asks for it and redraws.
 */
public final class TerminalRestore implements FdRestorer {
    static final int O_ACCMODE = 3;
    static final int O_NOCTTY = 0400;
    static final long TCSETS = 0x5402;
    static final long TIOCSCTTY = 0x540E;
    static final long TIOCSPGRP = 0x5410;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.TERMINAL;
    }

    @Override
    public void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        if (ctx.tty() == null) {
            throw new RestoreException("descriptor " + entries.get(0).fd() + " is a terminal and no --tty was given");
        }
        String tty = ctx.tty().toString();
        boolean settingsDone = false;
        boolean controllingDone = false;
        for (FdEntry e : entries) {
            TerminalFile t = (TerminalFile) e.file();
            ctx.memory().writeString(ctx.scratch(), tty);
            long fd = ctx.check(e, "open " + tty, ctx.remote().raw(SyscallNumbers.OPEN, ctx.scratch(),
                    (e.flags() & O_ACCMODE) | O_NOCTTY, 0));
            ctx.install(fd, e);
            if (!settingsDone) {
                ctx.memory().write(ctx.scratch(), t.termios());
                ctx.check(e, "TCSETS", ctx.remote().raw(SyscallNumbers.IOCTL, e.fd(), TCSETS, ctx.scratch()));
                settingsDone = true;
            }
            if (t.controlling() && !controllingDone) {
                // steal it (arg 1) from the session that has it, e.g. the pane's placeholder process
                ctx.check(e, "TIOCSCTTY", ctx.remote().raw(SyscallNumbers.IOCTL, e.fd(), TIOCSCTTY, 1));
                if (t.foreground()) {
                    ctx.memory().write(ctx.scratch(), new byte[] {(byte) ctx.pid(), (byte) (ctx.pid() >> 8),
                            (byte) (ctx.pid() >> 16), (byte) (ctx.pid() >> 24)});
                    ctx.check(e, "TIOCSPGRP", ctx.remote().raw(SyscallNumbers.IOCTL, e.fd(), TIOCSPGRP, ctx.scratch()));
                }
                controllingDone = true;
            }
        }
    }
}
