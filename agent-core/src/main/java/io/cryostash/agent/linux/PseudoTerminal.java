// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * A new pseudo-terminal pair made by the agent (/dev/ptmx, unlocked): the master stays with
 * whoever made it (to relay it, like a terminal emulator), the process restored onto it opens the
 * {@link #slave} path. While the master is open the terminal lives; closing it hangs the terminal
 * up (SIGHUP to its foreground group), as when a terminal window closes.
 */
public final class PseudoTerminal implements AutoCloseable {
    static final long TIOCGPTN = 0x80045430L;
    static final long TIOCSPTLCK = 0x40045431L;
    static final long TIOCSWINSZ = 0x5414L;
    static final int O_NOCTTY = 0400;

    private final LocalFd master;
    private final Path slave;

    private PseudoTerminal(LocalFd master, Path slave) {
        this.master = master;
        this.slave = slave;
    }

    /** A new pair whose window is {@code rows} by {@code cols}. */
    public static PseudoTerminal open(int rows, int cols) {
        LocalFd m = LocalFd.open("/dev/ptmx", LocalFd.O_RDWR | O_NOCTTY | LocalFd.O_CLOEXEC);
        try {
            m.ioctlSetLong(TIOCSPTLCK, 0); // an int 0 (little-endian): unlock the slave
            int n = m.ioctlInt(TIOCGPTN);
            byte[] ws = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putShort((short) rows)
                    .putShort((short) cols).array();
            m.ioctlWrite(TIOCSWINSZ, ws);
            return new PseudoTerminal(m, Path.of("/dev/pts/" + n));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The terminal side, for the process: /dev/pts/N. */
    public Path slave() {
        return slave;
    }

    /** The side a terminal emulator holds: what the process writes is read here, what is written here it reads. */
    public LocalFd master() {
        return master;
    }

    @Override
    public void close() {
        master.close();
    }
}
