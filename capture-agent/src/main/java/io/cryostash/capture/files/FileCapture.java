// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

import io.cryostash.agent.proc.ProcFiles;
import io.cryostash.schema.image.FsState;

/** Working directory and root (descriptors: {@link DescriptorCapture}). */
public final class FileCapture {
    private FileCapture() {
    }

    public static FsState fs(int pid, int umask) {
        return new FsState(ProcFiles.link(pid, "cwd"), ProcFiles.link(pid, "root"), umask);
    }
}
