// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

import io.cryostash.agent.proc.FdInfo;
import io.cryostash.schema.image.FdEntry;

/**
 * Regular files, directories and stateless devices: reopened by path on restore, so the slot
 * (path, flags, offset) is all they keep.
 */
final class PathCapture implements FdCapturer {
    private final FdEntry.Kind kind;

    PathCapture(FdEntry.Kind kind) {
        this.kind = kind;
    }

    @Override
    public FdEntry.Kind kind() {
        return kind;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        return slot;
    }
}
