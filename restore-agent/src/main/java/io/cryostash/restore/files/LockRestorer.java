// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.util.List;

import io.cryostash.schema.image.FdEntry;

/** Takes again the locks descriptors held; runs once every descriptor exists. */
public interface LockRestorer {
    void restore(FdRestoreContext ctx, List<FdEntry> fds);
}
