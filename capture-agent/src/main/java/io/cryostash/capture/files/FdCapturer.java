// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

import io.cryostash.agent.proc.FdInfo;
import io.cryostash.schema.image.FdEntry;

/**
 * Captures one kind of descriptor (one implementation per kind, in its own package, registered
 * in {@link DescriptorCapture}). Runs while the process is frozen.
 */
public interface FdCapturer {
    FdEntry.Kind kind();

    /**
     * @param slot the descriptor as /proc shows it (number, kind, target, flags, offset)
     * @return the slot with what this kind keeps ({@link FdEntry#withFile})
     * @throws Unsavable when this descriptor of the kind cannot be saved (a pipe to a process
     *                   outside the image, say), naming why
     */
    FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info);
}
