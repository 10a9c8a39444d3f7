// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;

/**
 * Who a command runs for: this JVM's own command line, or a client of {@code cryostash daemon}
 * whose working directory and lifetime are its own, not the daemon's.
 */
public interface Caller {
    /** A path the caller typed, as the caller means it (relative to its working directory). */
    Path resolve(String typed);

    /**
     * Runs {@code hook} if the caller goes away (Ctrl-C, a kill, a closed connection) before
     * the command ends; closing the returned handle cancels it.
     */
    Hangup onHangup(Runnable hook);

    /** A hang-up hook's registration; closing it cancels the hook. */
    interface Hangup extends AutoCloseable {
        @Override
        void close();
    }

    /** The command line of this JVM: paths as the JVM resolves them, hang-up = JVM shutdown. */
    static Caller thisProcess() {
        return new Caller() {
            @Override
            public Path resolve(String typed) {
                return Path.of(typed);
            }

            @Override
            public Hangup onHangup(Runnable hook) {
                Thread t = new Thread(hook, "cryostash-hangup");
                Runtime.getRuntime().addShutdownHook(t);
                return () -> {
                    try {
                        Runtime.getRuntime().removeShutdownHook(t);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook runs (or ran) anyway
                    }
                };
            }
        };
    }
}
