// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;

/**
 * How to restore.
 *
 * @param allowChangedFiles restore even when files the image maps changed since the capture
 * @param logDir            where output goes that was bound for a terminal or pipe that is gone
 * @param tcpClose          bring established TCP connections back closed (fresh unconnected sockets,
 *                          on which the program's next read or write fails) instead of repairing them,
 *                          e.g. on another host
 * @param tty               a terminal (e.g. a tmux pane's /dev/pts/N) to put the process's terminal
 *                          descriptors on, or null: then standard streams on a terminal go to
 *                          /dev/null or the log, and other terminal descriptors are refused
 * @param pids              which pid and tids the restored process gets
 */
public record RestoreOptions(boolean allowChangedFiles, Path logDir, boolean tcpClose, Path tty, PidMode pids) {

    /** Which ids the restored process gets. */
    public enum PidMode {
        /**
         * The image's own pid and tids, in this host's PID namespace: what glibc and the JVM keep
         * in memory stays true. Refused, naming the taken id, when one is in use.
         */
        ORIGINAL,
        /** Any free pid; single-threaded images only (nothing inside depends on the pid then). */
        NEW_PID,
        /**
         * The image's own pid and tids inside a fresh PID namespace, where they are always free
         * (e.g. beside the still-running original). The pid printed is the one seen from here.
         */
        NEW_PID_NAMESPACE
    }

    public RestoreOptions {
        pids = pids == null ? PidMode.ORIGINAL : pids;
    }

    /** TCP connections repaired, no terminal, the image's own ids. */
    public RestoreOptions(boolean allowChangedFiles, Path logDir) {
        this(allowChangedFiles, logDir, false, null, PidMode.ORIGINAL);
    }

    /** TCP connections repaired, no terminal, the given ids. */
    public RestoreOptions(boolean allowChangedFiles, Path logDir, PidMode pids) {
        this(allowChangedFiles, logDir, false, null, pids);
    }

    public static RestoreOptions defaults() {
        return new RestoreOptions(false, Path.of("/tmp"));
    }
}
