// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.util.List;

/** What every event has: a version and a check of its fields ("field: message" lines, empty when valid). */
public sealed interface Event permits SnapshotRequested, CheckpointCompleted, CheckpointFailed, RestoreRequested, RestoreCancelled, RestoreStatus {

    int version();

    List<String> problems();
}
