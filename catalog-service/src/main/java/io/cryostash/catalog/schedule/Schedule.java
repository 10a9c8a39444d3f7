// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.time.Instant;

/**
 * Snapshot a job every {@code intervalSeconds} or at the times of a {@code cron} expression (one of
 * the two); after the capture the process runs on (RESUME) or is killed (KILL). {@code lastError}
 * says why the last due run asked nothing (the job is gone, has no pid, or the previous request is
 * still unanswered), null when it asked.
 */
public record Schedule(long id, long jobId, String job, String hostId, Integer intervalSeconds, String cron,
                       String afterCapture, boolean enabled, Instant lastRunAt, Instant nextRunAt, String createdBy,
                       Instant createdAt, Instant updatedAt, String jobState, String lastError) {

    /** "every 10 min", "cron 0 0 * * * *": for pages and messages. */
    public String timetable() {
        if (cron != null) return "cron " + cron;
        int s = intervalSeconds;
        if (s % 3600 == 0) return "every " + s / 3600 + " h";
        if (s % 60 == 0) return "every " + s / 60 + " min";
        return "every " + s + " s";
    }
}
