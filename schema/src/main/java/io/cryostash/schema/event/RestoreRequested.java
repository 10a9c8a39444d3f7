// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Asks the agent of {@code targetHostId} to restore an image; published by the catalog's outbox.
 * The agent fetches and verifies the image from the store itself (it trusts nothing in this event
 * but the pointer) and answers with {@link RestoreStatus}. Idempotent on {@code restoreRequestId}:
 * a second delivery of a request the agent has started or finished restores nothing.
 */
public record RestoreRequested(
        int version,
        UUID restoreRequestId,
        String imageId,
        String manifestKey,
        String targetHostId,
        String requestedBy,
        Instant requestedAt) implements Event {

    public static final int VERSION = 1;
    public static final String TYPE = "restore.requested";

    public List<String> problems() {
        List<String> out = new ArrayList<>();
        EventChecks.version(out, version, VERSION);
        EventChecks.required(out, "restoreRequestId", restoreRequestId);
        EventChecks.id(out, "imageId", imageId, true);
        EventChecks.text(out, "manifestKey", manifestKey, 1024, true);
        EventChecks.id(out, "targetHostId", targetHostId, true);
        EventChecks.required(out, "requestedAt", requestedAt);
        return out;
    }
}
