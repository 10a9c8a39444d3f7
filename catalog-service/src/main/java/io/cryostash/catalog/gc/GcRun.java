// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import java.time.Instant;
import java.util.Map;

/**
 * One garbage collection the catalog ran (or is running): who asked, whether it was a dry run, how
 * many expired or deleted images' manifests it removed from the store first, the bytes it freed,
 * and the store's report ({@code report}: counts and sizes).
 */
public record GcRun(long id, String requestedBy, boolean dryRun, String state, Instant startedAt, Instant finishedAt,
                    int manifestsDeleted, long bytesFreed, Map<String, Object> report, String error) {
}
