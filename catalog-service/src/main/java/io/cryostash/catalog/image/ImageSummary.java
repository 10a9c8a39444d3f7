// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.time.Instant;

/** A row of the image list. */
public record ImageSummary(String id, String hostId, String hostName, long jobId, String job, Instant capturedAt,
                           ImageState state, long logicalBytes, long storedBytes, int chunkCount, String parentId) {
}
