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

@Command(name = "gc", description = "With a catalog configured, ask the catalog to collect (it removes expired images'"
        + " manifests first; an admin). Without one, collect the store here. Remove chunks no image names: condemn dead packs, repack mostly dead ones, and "
        + "condemn packs no index names once they are older than the grace period; condemned packs are deleted at "
        + "once when no capture runs, else by a later gc once every running capture has seen them. Runs beside "
        + "captures on any host.")
final class GcCommand implements Callable<Integer> {
    @Option(names = "--grace", paramLabel = "<duration>", defaultValue = "PT6H",
            description = "while a lock this host cannot judge is left (a capture elsewhere), leave packs no index names"
                    + " alone until they are this old (ISO-8601, default ${DEFAULT-VALUE}): a capture uploads its packs"
                    + " before its index. With no lock left they go at once")
    Duration grace;

    @Option(names = "--repack-threshold", paramLabel = "<fraction>", defaultValue = "0.5",
            description = "rewrite a pack when more than this fraction of its bytes is dead (default ${DEFAULT-VALUE})")
    double repackThreshold;

    @Option(names = "--dry-run", description = "say what would be condemned and freed; change nothing")
    boolean dryRun;

    @Mixin
    StoreOption store;

    @Mixin
    CatalogOption catalog;

    @Override
    public Integer call() throws IOException {
        String url = catalog.url(store.store != null);
        if (url != null) {
            return catalogGc(catalog.client(url));
        }
        if (grace.isNegative() || repackThreshold < 0 || repackThreshold > 1) {
            throw new IllegalArgumentException("--grace must not be negative and --repack-threshold must be 0..1");
        }
        try (ImageStore images = store.open()) {
            GarbageCollector.Options options = new GarbageCollector.Options(grace, repackThreshold, dryRun);
            System.out.println(describe(images.repository().collectGarbage(options), grace));
            return 0;
        }
    }

    /**
     * With a catalog, the catalog runs it (an admin): it first deletes from the store the manifests of
     * the images it expired or deleted, then collects, and moves its own records of chunks along.
     * --grace and --repack-threshold are the catalog's settings then.
     */
    private int catalogGc(io.cryostash.daemon.catalog.CatalogClient client) {
        com.fasterxml.jackson.databind.JsonNode run = client.post("/api/gc?dryRun=" + dryRun, null);
        com.fasterxml.jackson.databind.JsonNode r = run.path("report");
        if ("FAILED".equals(run.path("state").asText())) {
            throw new IllegalStateException("the catalog's garbage collection (run " + run.path("id").asLong() + ") failed: "
                    + run.path("error").asText());
        }
        System.out.printf("%scatalog gc run %d: %d manifests of expired or deleted images removed; %d images, %d live chunks;"
                        + " packs: %d kept, %d %scondemned (%d repacked), %d %sdeleted, %d resurrected; %d condemnation"
                        + " records wait for running captures; %s %sfreed, %s condemned and not yet deleted%n",
                dryRun ? "dry run: " : "", run.path("id").asLong(), run.path("manifestsDeleted").asInt(), r.path("images").asInt(),
                r.path("liveChunks").asLong(), r.path("packsKept").asInt(), r.path("packsCondemned").asInt(), dryRun ? "would be " : "",
                r.path("packsRepacked").asInt(), r.path("packsDeleted").asInt(), dryRun ? "would be " : "",
                r.path("packsResurrected").asInt(), r.path("recordsPending").asInt(), Sizes.human(run.path("bytesFreed").asLong()),
                dryRun ? "would be " : "", Sizes.human(r.path("bytesCondemned").asLong()));
        return 0;
    }

    static String describe(GarbageCollector.Report r, Duration grace) {
        String verb = r.dryRun() ? "would be " : "";
        return String.format("%s%d images, %d live chunks; packs: %d kept, %d %scondemned (%d repacked, %d unindexed),"
                        + " %d unindexed kept (younger than %s), %d %sdeleted, %d resurrected; %d condemnation records"
                        + " wait for running captures; %s %sfreed, %s condemned and not yet deleted",
                r.dryRun() ? "dry run: " : "", r.manifests(), r.liveChunks(), r.packsKept(), r.packsCondemned(), verb,
                r.packsRepacked(), r.unindexedPacksCondemned(), r.unindexedPacksKept(), grace, r.packsDeleted(), verb,
                r.packsResurrected(), r.recordsPending(), Sizes.human(r.bytesFreed()), verb, Sizes.human(r.bytesCondemned()));
    }
}
