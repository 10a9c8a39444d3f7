// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;

/**
 * How to restore.
 *
 * @param allowChangedFiles restore even when files the image maps changed since the capture
 * @param logDir            where output goes that was bound for a terminal or pipe that is gone
 */
public record RestoreOptions(boolean allowChangedFiles, Path logDir) {
    public static RestoreOptions defaults() {
        return new RestoreOptions(false, Path.of("/tmp"));
    }
}
