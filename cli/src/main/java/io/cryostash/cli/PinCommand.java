// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryostash.daemon.catalog.CatalogClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pin", description = "Pin an image in the catalog (legal hold, an admin): retention never expires it and it"
        + " cannot be deleted until unpinned.")
final class PinCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<image>", description = "image id")
    String image;

    @Option(names = "--reason", paramLabel = "<text>", description = "why (kept with the pin and in the audit log)")
    String reason;

    @Mixin
    CatalogOption catalog;

    @Override
    public Integer call() {
        CatalogClient c = CatalogCommands.client(catalog, "pin");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("reason", reason);
        JsonNode p = c.post("/api/images/" + CatalogClient.query(image) + "/pin", body);
        System.out.println("pinned " + p.path("imageId").asText() + " (job " + p.path("job").asText() + " on "
                + p.path("hostId").asText() + ") by " + p.path("pinnedBy").asText());
        return 0;
    }

    @Command(name = "unpin", description = "Lift an image's pin: its job's retention policy decides again.")
    static final class Unpin implements Callable<Integer> {
        @Parameters(paramLabel = "<image>", description = "image id")
        String image;

        @Mixin
        CatalogOption catalog;

        @Override
        public Integer call() {
            CatalogCommands.client(catalog, "unpin").delete("/api/images/" + CatalogClient.query(image) + "/pin");
            System.out.println("unpinned " + image);
            return 0;
        }
    }
}
