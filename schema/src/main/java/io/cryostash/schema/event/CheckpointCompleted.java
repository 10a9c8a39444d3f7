// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An agent stored an image. This is a pointer, not the agent's word: the catalog reads the signed
 * manifest under {@code manifestKey} from the store, checks its signature with the public key the
 * host enrolled, checks that it is image {@code imageId} of host {@code hostId}, and registers what
 * the manifest says. Idempotent on {@code imageId}.
 *
 * @param version      {@link #VERSION}
 * @param requestId    the {@link SnapshotRequested} this answers, or null for a capture from the CLI
 * @param hostId       the capturing host (the message key)
 * @param job          the job's name on that host (created on first use)
 * @param jobLabels    labels merged into the job's, may be null
 * @param imageId      the image's id (the hash of its signed manifest envelope)
 * @param manifestKey  the manifest's key in the store
 * @param parentId     the image this one is incremental to, or null
 * @param capturedAt   when the process was frozen
 * @param logicalBytes bytes of process state the image describes
 * @param storedBytes  bytes this image added to the store
 * @param freezeMillis how long the process was stopped, or null
 */
public record CheckpointCompleted(
        int version,
        UUID requestId,
        String hostId,
        String job,
        Map<String, String> jobLabels,
        String imageId,
        String manifestKey,
        String parentId,
        Instant capturedAt,
        long logicalBytes,
        long storedBytes,
        Long freezeMillis) implements Event {

    public static final int VERSION = 1;
    public static final String TYPE = "checkpoint.completed";

    public List<String> problems() {
        List<String> out = new ArrayList<>();
        EventChecks.version(out, version, VERSION);
        EventChecks.id(out, "hostId", hostId, true);
        EventChecks.job(out, job);
        EventChecks.id(out, "imageId", imageId, true);
        EventChecks.text(out, "manifestKey", manifestKey, 1024, true);
        EventChecks.id(out, "parentId", parentId, false);
        EventChecks.required(out, "capturedAt", capturedAt);
        EventChecks.bytes(out, "logicalBytes", logicalBytes);
        EventChecks.bytes(out, "storedBytes", storedBytes);
        if (freezeMillis != null && (freezeMillis < 0 || freezeMillis > 86_400_000L)) out.add("freezeMillis: must be 0 to 86,400,000");
        if (jobLabels != null && jobLabels.size() > 64) out.add("jobLabels: at most 64 labels");
        return out;
    }
}
