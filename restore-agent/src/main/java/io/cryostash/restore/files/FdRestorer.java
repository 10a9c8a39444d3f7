// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.util.List;

import io.cryostash.schema.image.FdEntry;

/**
 * Restores one kind of descriptor (one implementation per kind, in its own package, registered
 * in {@link DescriptorRestore}). Runs inside the husk with remote system calls, after memory is
 * mapped and with the image's file-system ids.
 */
public interface FdRestorer {
    FdEntry.Kind kind();

    /**
     * Recreates every descriptor of this kind at its number ({@link FdRestoreContext#install}).
     *
     * @param entries this kind's descriptors in number order, duplicates left out (they are
     *                made afterwards from their originals)
     */
    void restore(FdRestoreContext ctx, List<FdEntry> entries);
}
