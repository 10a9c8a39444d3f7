// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.snapshot;

import java.time.Instant;
import java.util.UUID;

/**
 * A snapshot.requested the catalog sent (by a schedule or a person) and its answer: REQUESTED until
 * the agent reports, then COMPLETED (with the image) or FAILED (with the reason); TIMED_OUT when no
 * answer came within {@code cryostash.catalog.snapshot-request-timeout}, so that its schedule asks again.
 */
public record SnapshotRequest(UUID id, long jobId, Long scheduleId, String hostId, String requestedBy, String state,
                              String imageId, String error, Instant requestedAt, Instant finishedAt) {
}
