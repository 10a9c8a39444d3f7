// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.time.Instant;

/** Snapshot a job every {@code intervalSeconds}; after the capture the process runs on (RESUME) or is killed (KILL). */
public record Schedule(long id, long jobId, String job, String hostId, int intervalSeconds, String afterCapture,
                       boolean enabled, Instant lastRunAt, Instant nextRunAt, String createdBy, Instant createdAt,
                       Instant updatedAt) {
}
