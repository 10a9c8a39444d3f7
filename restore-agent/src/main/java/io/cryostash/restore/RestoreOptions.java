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
 */
public record RestoreOptions(boolean allowChangedFiles, Path logDir, boolean tcpClose) {
    public RestoreOptions(boolean allowChangedFiles, Path logDir) {
        this(allowChangedFiles, logDir, false);
    }

    public static RestoreOptions defaults() {
        return new RestoreOptions(false, Path.of("/tmp"));
    }
}
