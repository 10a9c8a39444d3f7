// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * An agent could not capture what a {@link SnapshotRequested} asked for. With {@code processGone}
 * the job's process no longer exists (or the pid now belongs to another process): the catalog marks
 * the job so and its schedule stops asking. Idempotent on {@code requestId}.
 *
 * @param version     {@link #VERSION}
 * @param requestId   the request this answers
 * @param hostId      the host (the message key)
 * @param jobId       the catalog's job id from the request
 * @param reason      what went wrong, for a person (at most 4,000 characters are kept)
 * @param processGone whether the job's process is gone for good
 * @param failedAt    when
 */
public record CheckpointFailed(
        int version,
        UUID requestId,
        String hostId,
        long jobId,
        String reason,
        boolean processGone,
        Instant failedAt) implements Event {

    public static final int VERSION = 1;
    public static final String TYPE = "checkpoint.failed";

    public List<String> problems() {
        List<String> out = new ArrayList<>();
        EventChecks.version(out, version, VERSION);
        EventChecks.required(out, "requestId", requestId);
        EventChecks.id(out, "hostId", hostId, true);
        EventChecks.text(out, "reason", reason, 100_000, true);
        EventChecks.required(out, "failedAt", failedAt);
        return out;
    }
}
