// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.repository.Repository;
import io.cryostash.schema.image.ProcessImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "images", description = "List the images in the store.")
final class ImagesCommand implements Callable<Integer> {
    @Option(names = "--job", paramLabel = "<name>", description = "only this job's images (from the catalog)")
    String job;

    @Mixin
    StoreOption store;

    @Mixin
    CatalogOption catalog;

    @Override
    public Integer call() {
        String url = catalog.url(store.store != null);
        if (url != null) {
            return fromCatalog(catalog.client(url));
        }
        if (job != null) {
            throw new IllegalArgumentException("--job lists a job's images from a catalog, and none is configured");
        }
        try (ImageStore images = SpoolOnOpen.replay(store.open())) {
            System.out.printf("%-64s  %-19s  %-12s %7s %-16s %9s %s%n", "IMAGE", "CREATED", "HOST", "PID", "COMMAND",
                    "MEMORY", "PAGES");
            for (Repository.ImageInfo info : images.list()) {
                if (!info.trusted()) {
                    System.out.printf("%-64s  %-19s  %-12s  (rejected: %s)%n", info.id(),
                            info.created().toString().substring(0, 19), info.host(), info.rejection());
                    continue;
                }
                try {
                    ProcessImage im = images.read(info.id());
                    long mem = im.areas().stream().mapToLong(a -> a.storedPages() * 4096).sum();
                    System.out.printf("%-64s  %-19s  %-12s %7d %-16s %9s %s%n", info.id(),
                            info.created().toString().substring(0, 19), info.host(), im.process().pid(),
                            im.process().comm(), Sizes.human(mem), im.tracking());
                } catch (RuntimeException e) {
                    System.out.printf("%-64s  unreadable: %s%n", info.id(), e.getMessage());
                }
            }
        }
        return 0;
    }

    private int fromCatalog(io.cryostash.daemon.catalog.CatalogClient client) {
        String q = "/api/images?size=200&sort=capturedAt&dir=desc" + (job == null ? "" : "&job=" + io.cryostash.daemon.catalog.CatalogClient.query(job));
        com.fasterxml.jackson.databind.JsonNode page = client.get(q);
        System.out.printf("%-64s  %-20s  %-16s %-20s %-9s %9s %9s%n", "IMAGE", "CAPTURED", "HOST", "JOB", "STATE", "MEMORY", "STORED");
        for (com.fasterxml.jackson.databind.JsonNode i : page.path("items")) {
            String at = i.path("capturedAt").asText();
            System.out.printf("%-64s  %-20s  %-16s %-20s %-9s %9s %9s%n", i.path("id").asText(),
                    at.length() > 19 ? at.substring(0, 19) : at, i.path("hostId").asText(), i.path("job").asText(),
                    i.path("state").asText(), Sizes.human(i.path("logicalBytes").asLong()), Sizes.human(i.path("storedBytes").asLong()));
        }
        long total = page.path("total").asLong();
        if (total > page.path("items").size()) System.err.println("(" + page.path("items").size() + " of " + total + " shown)");
        return 0;
    }
}
