// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import java.io.OutputStream;
import java.io.PrintStream;

/**
 * System.out and System.err of a daemon: what a command's thread prints goes to its client,
 * what any other thread prints (the daemon's own log, pools that outlive a command) to the
 * daemon's own streams. The commands print to System.out/err as they do in a JVM of their own.
 */
final class RoutedStreams {
    private final PrintStream ownOut;
    private final PrintStream ownErr;
    private final ThreadLocal<PrintStream> out = new ThreadLocal<>();
    private final ThreadLocal<PrintStream> err = new ThreadLocal<>();

    private RoutedStreams(PrintStream ownOut, PrintStream ownErr) {
        this.ownOut = ownOut;
        this.ownErr = ownErr;
    }

    /** Installs the routing as System.out and System.err (once per daemon JVM). */
    static RoutedStreams install() {
        RoutedStreams r = new RoutedStreams(System.out, System.err);
        System.setOut(new PrintStream(r.router(r.out, r.ownOut), true));
        System.setErr(new PrintStream(r.router(r.err, r.ownErr), true));
        return r;
    }

    /** Until closed, this thread's System.out and System.err are these. */
    AutoCloseable use(PrintStream o, PrintStream e) {
        out.set(o);
        err.set(e);
        return () -> {
            o.flush();
            e.flush();
            out.remove();
            err.remove();
        };
    }

    private static OutputStream router(ThreadLocal<PrintStream> routed, PrintStream own) {
        return new OutputStream() {
            private PrintStream target() {
                PrintStream p = routed.get();
                return p != null ? p : own;
            }

            @Override
            public void write(int b) {
                target().write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                target().write(b, off, len);
            }

            @Override
            public void flush() {
                target().flush();
            }
        };
    }
}
