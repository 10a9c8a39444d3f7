// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.snapshot;

import java.time.Instant;
import java.util.UUID;

import io.cryostash.capture.CaptureResult;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.CheckpointFailed;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.StoreFormat;

/** The checkpoint events of a capture, as the daemon and {@code cryostash checkpoint --job} send them. */
public final class CheckpointEvents {
    private CheckpointEvents() {
    }

    /**
     * @param requestId   the snapshot request, or null for a capture from the command line
     * @param storedBytes what the capture added to the store (compressed bytes of new chunks)
     */
    public static CheckpointCompleted completed(UUID requestId, String hostId, String job, CaptureResult r,
                                                long storedBytes) {
        ProcessImage im = r.image();
        long logical = 0;
        for (MemoryArea a : im.areas()) logical += a.storedPages() * 4096L;
        return new CheckpointCompleted(CheckpointCompleted.VERSION, requestId, hostId, job, null, im.id(),
                StoreFormat.MANIFESTS + im.id(), im.parent(), im.createdAt() == null ? Instant.now() : im.createdAt(),
                logical, Math.max(0, storedBytes), Math.round(r.freezeNanos() / 1e6));
    }

    public static CheckpointFailed failed(UUID requestId, String hostId, long jobId, String reason, boolean processGone) {
        return new CheckpointFailed(CheckpointFailed.VERSION, requestId, hostId, jobId, reason, processGone, Instant.now());
    }
}
