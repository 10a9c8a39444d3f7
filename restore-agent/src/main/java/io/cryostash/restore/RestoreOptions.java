// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;

/**
 * How to restore.
 *
 * @param allowChangedFiles restore even when files the image maps changed since the capture
 * @param logDir            where output goes that was bound for a terminal or pipe that is gone
 * @param pids              which pid and tids the restored process gets
 */
public record RestoreOptions(boolean allowChangedFiles, Path logDir, PidMode pids) {

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

    /** The image's own ids. */
    public RestoreOptions(boolean allowChangedFiles, Path logDir) {
        this(allowChangedFiles, logDir, PidMode.ORIGINAL);
    }

    public static RestoreOptions defaults() {
        return new RestoreOptions(false, Path.of("/tmp"));
    }
}
