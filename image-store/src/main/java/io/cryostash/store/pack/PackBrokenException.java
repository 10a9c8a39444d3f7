// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.pack;

/** A {@link PackWriter} was used after a write failed; its output must be thrown away. */
public class PackBrokenException extends IllegalStateException {
    public PackBrokenException() {
        super("pack writer is broken by an earlier write error; start a new pack");
    }
}
