// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The agent's report on a {@link RestoreRequested}: RUNNING when it starts, then COMPLETED with
 * the restored process's pid (as seen on that host) or FAILED with the reason. The catalog applies
 * each state once and ignores one that would move a finished request.
 */
public record RestoreStatus(
        int version,
        UUID restoreRequestId,
        String hostId,
        String state,
        Integer pid,
        String error,
        Instant at) implements Event {

    public static final int VERSION = 1;
    public static final String TYPE = "restore.status";
    public static final Set<String> STATES = Set.of("RUNNING", "COMPLETED", "FAILED");
    /** Linux's largest pid (PID_MAX_LIMIT on 64-bit). */
    public static final int MAX_PID = 4_194_304;

    public List<String> problems() {
        List<String> out = new ArrayList<>();
        EventChecks.version(out, version, VERSION);
        EventChecks.required(out, "restoreRequestId", restoreRequestId);
        EventChecks.id(out, "hostId", hostId, true);
        if (state == null || !STATES.contains(state)) out.add("state: must be one of " + STATES);
        if ("COMPLETED".equals(state) && pid == null) out.add("pid: is required when COMPLETED");
        if (pid != null) EventChecks.pid(out, "pid", pid);
        if ("FAILED".equals(state) && (error == null || error.isBlank())) out.add("error: is required when FAILED");
        EventChecks.text(out, "error", error, 100_000, false);
        EventChecks.required(out, "at", at);
        return out;
    }
}
