// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import io.cryostash.capture.SpoolReplay;
import io.cryostash.capture.spool.CaptureSpool;
import io.cryostash.store.image.ImageStore;

/**
 * Stores what a capture killed mid-way left in the local spool, before a command that opens the
 * store does its own work (see docs/architecture.md, "Capture spool"). Costs one directory
 * lookup when the spool is empty.
 */
final class SpoolOnOpen {
    private SpoolOnOpen() {
    }

    static ImageStore replay(ImageStore store) {
        for (SpoolReplay.Replayed r : SpoolReplay.replay(store, CaptureSpool.defaultDir(),
                msg -> System.err.println("cryostash: " + msg))) {
            System.err.printf("cryostash: stored the spooled capture of pid %d (%s), whose capturer stopped before"
                    + " it was stored: image %s%n", r.pid(), r.comm(), r.imageId());
        }
        return store;
    }
}
