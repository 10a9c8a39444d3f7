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
 * @param notes       what the image does not keep as it was, one line each (a standard stream whose
 *                    terminal or pipe will be gone, a descriptor given up on request); empty when nothing
 */
public record CaptureResult(ProcessImage image, long freezeNanos, long totalNanos, long memoryBytes,
                            FreezePhases phases, java.util.List<String> notes) {
    public CaptureResult {
        notes = notes == null ? java.util.List.of() : java.util.List.copyOf(notes);
    }

    public CaptureResult(ProcessImage image, long freezeNanos, long totalNanos, long memoryBytes, FreezePhases phases) {
        this(image, freezeNanos, totalNanos, memoryBytes, phases, java.util.List.of());
    }
}
