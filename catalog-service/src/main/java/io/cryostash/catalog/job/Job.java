// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.job;

import java.time.Instant;
import java.util.Map;

/**
 * A named thing to snapshot on a host: a pid or a command-line pattern, with labels. {@code state}
 * is ACTIVE, or GONE once its host's agent reported the process gone ({@code goneAt}, {@code goneReason}):
 * its schedules stop then. {@code processStart} is the process's start time in clock ticks after boot
 * (/proc/PID/stat field 22) when known, so that an agent refuses a pid that now names another process.
 */
public record Job(long id, String hostId, String name, Integer pid, String commandPattern,
                  Map<String, String> labels, Instant createdAt, String state, Long processStart, Instant goneAt,
                  String goneReason) {

    public static final String ACTIVE = "ACTIVE";
    public static final String GONE = "GONE";

    public boolean gone() {
        return GONE.equals(state);
    }
}
