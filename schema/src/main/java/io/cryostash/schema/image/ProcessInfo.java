// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.List;

/** Identity of the frozen process, as /proc showed it. */
public record ProcessInfo(int pid, int ppid, int pgid, int sid, String comm, List<String> cmdline,
                          String exe, long personality) {
}
