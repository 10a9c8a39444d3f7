// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.IOException;
import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.repository.Repository;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "repair-index", description = "Rebuild the store's index from the packs' own indexes (after index "
        + "objects were lost or damaged), replacing every index object. Takes the store exclusively, like gc.")
final class RepairIndexCommand implements Callable<Integer> {
    @Mixin
    StoreOption store;

    @Override
    public Integer call() throws IOException {
        try (Backend backend = store.openBackend()) {
            Repository.IndexRepair r = Repository.repairIndex(backend, ImageStore.hostName());
            System.out.printf("index rebuilt: %d packs, %d chunks; %d index objects replaced%n", r.packs(), r.chunks(),
                    r.replacedIndexObjects());
            for (String p : r.keptFromOldIndex()) {
                System.out.println("pack with a damaged index of its own, kept as the old index described it: " + p);
            }
            for (String rec : r.droppedRecords()) {
                System.out.println("damaged condemnation record dropped (its packs are indexed again; the next gc"
                        + " judges them): " + rec);
            }
            for (String p : r.unreadablePacks()) {
                System.out.println("unreadable pack left out (its chunks stay missing): " + p);
            }
            return r.unreadablePacks().isEmpty() ? 0 : 2;
        }
    }
}
