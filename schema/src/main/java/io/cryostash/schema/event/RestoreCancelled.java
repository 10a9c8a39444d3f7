// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A restore request was cancelled before its agent started it; on {@link Topics#RESTORE_REQUESTED}
 * (header {@link Topics#HEADER_TYPE} = {@link #TYPE}), so it stays in order with the request. An agent
 * that has not started the request drops it; one that has started ignores this.
 */
public record RestoreCancelled(int version, UUID restoreRequestId, String targetHostId, Instant cancelledAt) implements Event {

    public static final int VERSION = 1;
    public static final String TYPE = "restore.cancelled";

    public List<String> problems() {
        List<String> out = new ArrayList<>();
        EventChecks.version(out, version, VERSION);
        EventChecks.required(out, "restoreRequestId", restoreRequestId);
        EventChecks.id(out, "targetHostId", targetHostId, true);
        EventChecks.required(out, "cancelledAt", cancelledAt);
        return out;
    }
}
