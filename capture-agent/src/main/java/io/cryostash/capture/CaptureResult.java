// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import io.cryostash.schema.image.ProcessImage;

/**
 * The written image and what it cost.
 *
 * @param freezeNanos how long the process was stopped (seize to resume)
 * @param totalNanos  the whole capture, image written and synced
 * @param memoryBytes bytes of page contents copied while the process was stopped
 * @param phases      where the freeze's time went
 */
public record CaptureResult(ProcessImage image, long freezeNanos, long totalNanos, long memoryBytes,
                            FreezePhases phases) {
}
