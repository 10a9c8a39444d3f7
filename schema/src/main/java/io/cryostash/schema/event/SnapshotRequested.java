// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Asks the agent of {@code hostId} to capture the process of a job (by a schedule or a person).
 * The agent answers with {@link CheckpointCompleted} or {@link CheckpointFailed} carrying the same
 * {@code requestId}; a second delivery of the same request captures nothing new.
 *
 * @param version       {@link #VERSION}
 * @param requestId     idempotency key
 * @param hostId        the host whose agent captures (the message key)
 * @param jobId         the catalog's job id
 * @param job           the job's name on that host
 * @param pid           the job's process
 * @param processStart  the process's start time in clock ticks since boot (/proc/PID/stat field 22)
 *                      when the catalog knows it, else null: a pid reused by another process is
 *                      then refused instead of captured
 * @param parentImageId the job's last image on this host, to capture incrementally against when
 *                      write tracking allows; null for a full capture
 * @param kill          whether to kill the process once the image is stored
 * @param scheduleId    the schedule that asked, or null when a person did
 * @param requestedBy   user name, or "schedule:ID"
 * @param requestedAt   when it was asked
 */
public record SnapshotRequested(
        int version,
        UUID requestId,
        String hostId,
        long jobId,
        String job,
        int pid,
        Long processStart,
        String parentImageId,
        boolean kill,
        Long scheduleId,
        String requestedBy,
        Instant requestedAt) implements Event {

    public static final int VERSION = 1;
    public static final String TYPE = "snapshot.requested";

    public List<String> problems() {
        List<String> out = new ArrayList<>();
        EventChecks.version(out, version, VERSION);
        EventChecks.required(out, "requestId", requestId);
        EventChecks.id(out, "hostId", hostId, true);
        EventChecks.job(out, job);
        EventChecks.pid(out, "pid", pid);
        EventChecks.id(out, "parentImageId", parentImageId, false);
        EventChecks.required(out, "requestedAt", requestedAt);
        return out;
    }
}
