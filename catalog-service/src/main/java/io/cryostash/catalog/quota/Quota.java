// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.quota;

import java.time.Instant;

/**
 * A limit on the stored bytes of one job ({@code jobId}) or one host ({@code hostId}), with the
 * bytes stored now ({@code usedBytes}: the stored size of the distinct chunks its live images name).
 */
public record Quota(long id, Long jobId, String job, String hostId, long limitBytes, long usedBytes, String updatedBy,
                    Instant updatedAt) {

    public String scope() {
        return jobId != null ? "job" : "host";
    }

    /** For people: "job sim on host-1" or "host host-1". */
    public String subject() {
        return jobId != null ? "job " + job + " on " + hostId : "host " + hostId;
    }
}
