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
 */
public record RestoreOptions(boolean allowChangedFiles, Path logDir, boolean tcpClose, Path tty) {
    public RestoreOptions(boolean allowChangedFiles, Path logDir) {
        this(allowChangedFiles, logDir, false, null);
    }

    public RestoreOptions(boolean allowChangedFiles, Path logDir, boolean tcpClose) {
        this(allowChangedFiles, logDir, tcpClose, null);
    }

    public static RestoreOptions defaults() {
        return new RestoreOptions(false, Path.of("/tmp"));
    }
}
