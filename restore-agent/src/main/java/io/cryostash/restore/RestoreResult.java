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
 */
public record RestoreResult(int pid, Path logFile, long nanos, int ownPid) {
}
