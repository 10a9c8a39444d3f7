// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.util.List;

import io.cryostash.schema.image.FdEntry;

/**
 * A kind whose descriptors are made in bulk: every such kind first queues the system calls that
 * make its descriptors ({@link #create}), {@link DescriptorRestore} runs all of them inside the
 * husk for a handful of ptrace stops ({@link DescriptorBatch}), each descriptor landing at its
 * number, and then each kind sets up the rest on the agent's own copies ({@link #finish}).
 */
public interface BatchedFdRestorer extends FdRestorer {
    /** Queues the calls that make {@code entries} (this kind's, in number order, no duplicates). */
    void create(FdRestoreContext ctx, List<FdEntry> entries, DescriptorBatch batch);

    /** Once the batch has run: everything else, on the agent's copies of the new descriptors. */
    void finish(FdRestoreContext ctx, List<FdEntry> entries);

    /** Alone (outside {@link DescriptorRestore}'s common batch): a batch of this kind only. */
    @Override
    default void restore(FdRestoreContext ctx, List<FdEntry> entries) {
        DescriptorBatch batch = ctx.newBatch();
        create(ctx, entries, batch);
        batch.run();
        finish(ctx, entries);
    }
}
