// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import io.cryostash.agent.linux.FdException;
import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.PseudoTerminal;

/**
 * {@code restore --new-pty}: the command acts as the restored process's terminal window. It makes
 * a pseudo-terminal of its own terminal's size (24 by 80 when it is not on one), the restore puts
 * the process on its slave side, and then it copies its standard input to the master and the
 * master to its standard output, with its own terminal in raw mode meanwhile (so keys such as
 * Ctrl-C go to the process, as in any terminal), until the process and everything it started
 * have closed the terminal. If the command ends first, the terminal hangs up (SIGHUP), as when a
 * terminal window is closed.
 */
final class PtyRelay implements AutoCloseable {
    static final long TIOCGWINSZ = 0x5413L;
    private final PseudoTerminal pty;
    private String savedSettings;

    private PtyRelay(PseudoTerminal pty) {
        this.pty = pty;
    }

    static PtyRelay open() {
        int rows = 24;
        int cols = 80;
        try (LocalFd own = LocalFd.open("/dev/tty", LocalFd.O_RDWR | LocalFd.O_CLOEXEC)) {
            ByteBuffer ws = ByteBuffer.wrap(own.ioctlRead(TIOCGWINSZ, 8)).order(ByteOrder.LITTLE_ENDIAN);
            if (ws.getShort(0) > 0 && ws.getShort(2) > 0) {
                rows = ws.getShort(0);
                cols = ws.getShort(2);
            }
        } catch (FdException noTerminal) {
            // not on a terminal: the default size
        }
        return new PtyRelay(PseudoTerminal.open(rows, cols));
    }

    PseudoTerminal terminal() {
        return pty;
    }

    /** Relays until the process side closes the terminal; returns then. */
    void relay(InputStream in, OutputStream out) throws IOException {
        rawMode(in);
        Thread keys = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    pty.master().writeFully(java.util.Arrays.copyOf(buf, n));
                }
            } catch (IOException | RuntimeException closed) {
                // our input or the terminal is gone: the screen side decides when to stop
            }
        }, "pty-keys");
        keys.setDaemon(true);
        keys.start();
        byte[] buf = new byte[16384];
        try {
            for (int n; (n = pty.master().read(buf, buf.length)) > 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (FdException hungUp) {
            // EIO: no process holds the terminal any more
        }
    }

    /** Raw mode for our own terminal, when standard input is one (stty, put back on close). */
    private void rawMode(InputStream in) {
        if (in != System.in || System.console() == null) {
            return;
        }
        String saved = stty("-g");
        if (saved != null && stty("raw", "-echo") != null) {
            savedSettings = saved.strip();
        }
    }

    private static String stty(String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of("stty"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            return p.waitFor() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void close() {
        if (savedSettings != null) {
            stty(savedSettings);
        }
        pty.close();
    }
}
