// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.util.List;

import io.cryostash.restore.files.DescriptorRestore;
import io.cryostash.restore.pipes.FifoRestore;
import io.cryostash.restore.pipes.PipeRestore;

/**
 * The registry of descriptor kinds this agent restores, one restorer per kind, each in its own
 * package; {@link DescriptorRestore} says in which order they run and why.
 */
final class DescriptorKinds {
    private DescriptorKinds() {
    }

    static DescriptorRestore standard() {
        return new DescriptorRestore(List.of(new PipeRestore(), new FifoRestore()), List.of());
    }
}
