// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;

/**
 * A restored, running process.
 *
 * @param pid       its pid on this host (in the restoring agent's PID namespace)
 * @param logFile   where its output to lost terminals and pipes goes, or null when there was none
 * @param nanos     wall time of the restore
 * @param ownPid    its pid as it sees itself: differs from {@code pid} when it runs in a PID
 *                  namespace of its own
 * @param notes     what the restore did not make as the image had it, one line each (a SysV object
 *                  still alive on this host, used as it is now); empty when nothing
 * @param phases    where its time went ({@link RestorePhases#NONE} for a tree, timed as a whole)
 */
public record RestoreResult(int pid, Path logFile, long nanos, int ownPid, java.util.List<String> notes,
                            RestorePhases phases) {
    public RestoreResult {
        notes = notes == null ? java.util.List.of() : java.util.List.copyOf(notes);
        phases = phases == null ? RestorePhases.NONE : phases;
    }

    public RestoreResult(int pid, Path logFile, long nanos, int ownPid) {
        this(pid, logFile, nanos, ownPid, java.util.List.of(), RestorePhases.NONE);
    }
}
