// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.signalfd;

import java.util.List;

import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.SyscallBatch;
import io.cryostash.restore.files.BatchedFdRestorer;
import io.cryostash.restore.files.DescriptorBatch;
import io.cryostash.restore.files.FdRestoreContext;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.SignalfdFile;

/**
 * signalfd4 with the saved mask and O_NONBLOCK as it was, all of the image's in one
 * {@link DescriptorBatch}: the mask travels in the call's own table entry (its unused sixth
 * argument word, which {@link SyscallBatch#OWN_SLOT} points the mask argument at).
 */
public final class SignalfdRestore implements BatchedFdRestorer {
    static final int SFD_NONBLOCK = 04000;

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.SIGNALFD;
    }

    @Override
    public void create(FdRestoreContext ctx, List<FdEntry> entries, DescriptorBatch batch) {
        for (FdEntry e : entries) {
            long mask = ((SignalfdFile) e.file()).mask();
            batch.create(e, "signalfd4", SyscallNumbers.SIGNALFD4, -1, SyscallBatch.OWN_SLOT, 8, e.flags() & SFD_NONBLOCK,
                    0, mask);
        }
    }

    @Override
    public void finish(FdRestoreContext ctx, List<FdEntry> entries) {
        // nothing: the mask and flags are the descriptor's from its creation
    }
}
