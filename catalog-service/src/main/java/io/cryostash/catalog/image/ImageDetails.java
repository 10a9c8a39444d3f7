// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.cryostash.schema.catalog.ProcessSummary;

/** Everything the catalog knows of one image (of its chunks and its contents lists, one slice). */
public record ImageDetails(
        String id, String hostId, String hostName, long jobId, String job, Map<String, String> jobLabels,
        Instant capturedAt, Instant registeredAt, ImageState state, long logicalBytes, long storedBytes,
        String manifestKey, String signature, String arch, List<String> cpuFlags, String vdsoFingerprint,
        ProcessSummary process, String parentId, List<String> childIds, ChunkStats chunks, ImageContents contents) {

    /** Chunk totals, and the first chunks by key (the full list can be millions long). */
    public record ChunkStats(int count, long rawBytes, long storedBytes, long sharedWithOtherImages, List<ChunkRow> first) {
    }

    public record ChunkRow(String key, int rawBytes, Integer storedBytes, String pack, Long offset) {
    }
}
