// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.time.Instant;

/**
 * A named set of {@link RetentionRules}; {@code jobId} null: the default for every job without an
 * enabled policy of its own. The counts are repeated flat (and {@code keepWithin} as text, e.g.
 * {@code 30d}) so that the API's JSON reads as the CLI's options do.
 */
public record RetentionPolicy(long id, String name, Long jobId, String job, int keepLast, int keepHourly,
                              int keepDaily, int keepWeekly, int keepMonthly, int keepYearly, String keepWithin,
                              boolean enabled, String createdBy, Instant createdAt, Instant updatedAt) {

    public RetentionRules rules() {
        return new RetentionRules(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
                KeepWithin.parse(keepWithin));
    }

    /** For people: "last 24, daily 30, within 7d". */
    public String describe() {
        return rules().describe();
    }
}
