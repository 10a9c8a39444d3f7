// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.restore;

import java.time.Instant;
import java.util.UUID;

public record RestoreRequest(UUID id, String imageId, String job, String targetHostId, String targetHostName,
                             String requestedBy, RestoreState state, String error, Integer restoredPid,
                             Instant requestedAt, Instant startedAt, Instant finishedAt, Instant updatedAt) {
}
