// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

import java.util.List;

import io.cryostash.agent.proc.FdInfo;
import io.cryostash.schema.image.fds.FileLock;

/** Reads the locks a descriptor's file holds (implemented in the locks package). */
@FunctionalInterface
public interface LockReader {
    /** @throws Unsavable for a lock that cannot be taken again (a lease, a delegation) */
    List<FileLock> locks(FdCaptureContext ctx, FdInfo info);
}
