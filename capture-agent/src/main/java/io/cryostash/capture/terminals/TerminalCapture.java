// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.terminals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.proc.FdInfo;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.TerminalFile;

/**
 * A terminal descriptor: its settings (TCGETS), window size (TIOCGWINSZ), and whether it is the
 * process's controlling terminal and the process its foreground group. The terminal itself
 * belongs to a session that ends with the process; restore puts the process on the terminal it is
 * given, and the capture's notes say so.
 */
public final class TerminalCapture implements FdCapturer {
    static final long TCGETS = 0x5401;
    static final long TIOCGWINSZ = 0x5413;
    static final int KERNEL_TERMIOS_SIZE = 36;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.TERMINAL;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        ctx.note("fd " + info.fd() + " (" + info.target() + "), a terminal: restore puts it on the terminal given"
                + " with --tty (settings kept, SIGWINCH sent), else standard streams go to /dev/null (input) or the"
                + " restore's log (output)");
        try (LocalFd t = ctx.take(info.fd())) {
            byte[] termios = t.ioctlRead(TCGETS, KERNEL_TERMIOS_SIZE);
            ByteBuffer ws = ByteBuffer.wrap(t.ioctlRead(TIOCGWINSZ, 8)).order(ByteOrder.LITTLE_ENDIAN);
            boolean controlling = isControlling(ctx.pid(), info.fd());
            // TIOCGPGRP answers only the terminal's own session: /proc/PID/stat's tpgid says the same
            boolean foreground = controlling && statField(ctx.pid(), 5) == ProcStat.read(ctx.pid()).pgrp();
            return slot.withFile(new TerminalFile(termios, ws.getShort(0) & 0xffff, ws.getShort(2) & 0xffff,
                    controlling, foreground));
        } catch (RuntimeException e) {
            if (e instanceof Unsavable u) {
                throw u;
            }
            throw new Unsavable("a terminal whose settings cannot be read (" + e.getMessage() + ")", true);
        }
    }

    /** Field {@code i} of /proc/PID/stat after the command name (0 = state, 4 = tty_nr, 5 = tpgid). */
    static long statField(int pid, int i) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[i]);
        } catch (IOException e) {
            return -1;
        }
    }

    /** Whether the descriptor's device is the one /proc/PID/stat names as controlling terminal (tty_nr). */
    static boolean isControlling(int pid, int fd) {
        try {
            long ttyNr = statField(pid, 4);
            long rdev = (Long) Files.getAttribute(Path.of("/proc/" + pid + "/fd/" + fd), "unix:rdev");
            // tty_nr packs major in bits 8-15 and minor in bits 0-7 and 20-31; rdev is the glibc dev_t
            long major = (rdev >> 8) & 0xfff;
            long minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
            return ttyNr != 0 && ttyNr == ((major << 8) | (minor & 0xff) | ((minor & ~0xffL) << 12));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
