// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.time.Instant;

/**
 * "Keep the last {@code keepLast}, the newest of each of the last {@code keepHourly} hours,
 * {@code keepDaily} days and {@code keepWeekly} weeks"; {@code jobId} null: the default for jobs
 * without a policy of their own.
 */
public record RetentionPolicy(long id, String name, Long jobId, String job, int keepLast, int keepHourly,
                              int keepDaily, int keepWeekly, boolean enabled, String createdBy, Instant createdAt,
                              Instant updatedAt) {
}
