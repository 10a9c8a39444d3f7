// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;

/**
 * A restored, running process.
 *
 * @param pid     its pid on this host
 * @param logFile where its output to lost terminals and pipes goes, or null when there was none
 * @param nanos   wall time of the restore
 */
public record RestoreResult(int pid, Path logFile, long nanos) {
}
