// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.repository.GarbageCollector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "gc", description = "Remove chunks no image names: delete dead packs, repack mostly dead ones, and "
        + "delete packs no index names once they are older than the grace period. Waits for no one: it refuses "
        + "to start while a capture holds the store.")
final class GcCommand implements Callable<Integer> {
    @Option(names = "--grace", paramLabel = "<duration>", defaultValue = "PT6H",
            description = "while a lock this host cannot judge is left (a capture elsewhere), leave packs no index names"
                    + " alone until they are this old (ISO-8601, default ${DEFAULT-VALUE}): a capture uploads its packs"
                    + " before its index. With no lock left they go at once")
    Duration grace;

    @Option(names = "--repack-threshold", paramLabel = "<fraction>", defaultValue = "0.5",
            description = "rewrite a pack when more than this fraction of its bytes is dead (default ${DEFAULT-VALUE})")
    double repackThreshold;

    @Mixin
    StoreOption store;

    @Override
    public Integer call() throws IOException {
        if (grace.isNegative() || repackThreshold < 0 || repackThreshold > 1) {
            throw new IllegalArgumentException("--grace must not be negative and --repack-threshold must be 0..1");
        }
        try (ImageStore images = store.open()) {
            GarbageCollector.Report r = images.repository().collectGarbage(
                    new GarbageCollector.Options(grace, repackThreshold));
            System.out.printf("%d images, %d live chunks; packs: %d kept, %d deleted, %d repacked, %d unindexed deleted,"
                            + " %d unindexed kept (younger than %s); %s freed%n", r.manifests(), r.liveChunks(),
                    r.packsKept(), r.packsDeleted(), r.packsRepacked(), r.unindexedPacksDeleted(),
                    r.unindexedPacksKept(), grace, Sizes.human(r.bytesFreed()));
            return 0;
        }
    }
}
