// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryostash.daemon.catalog.CatalogClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "forget", description = "Apply a job's retention policy now in the catalog (an admin): the images it does not"
        + " keep expire, and the catalog's next gc frees what only they held. --dry-run says what would go.")
final class ForgetCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<job>", description = "job name, name@host, or id")
    String job;

    @Option(names = "--dry-run", description = "list what would be expired and the bytes that frees; change nothing")
    boolean dryRun;

    @Mixin
    CatalogOption catalog;

    @Override
    public Integer call() {
        CatalogClient c = CatalogCommands.client(catalog, "forget");
        JsonNode j = CatalogCommands.job(c, job);
        JsonNode o = c.post("/api/jobs/" + j.path("id").asLong() + "/forget?dryRun=" + dryRun, null);
        for (JsonNode jo : o.path("jobs")) {
            for (JsonNode k : jo.path("kept")) {
                System.out.printf("keep    %s  %s  %s%n", k.path("id").asText(), at(k), String.join(", ",
                        iterable(k.path("reasons"))));
            }
            for (JsonNode x : jo.path("expired")) {
                System.out.printf("%s  %s  %s  %s held by it alone%n", dryRun ? "would expire" : "expired", x.path("id").asText(),
                        at(x), Sizes.human(x.path("ownBytes").asLong()));
            }
        }
        System.out.printf("%s %d images, keeping %d: %s of stored chunks no remaining image names (%d chunks)%s%n",
                dryRun ? "would expire" : "expired", o.path("expired").asInt(), o.path("kept").asInt(),
                Sizes.human(o.path("freedBytes").asLong()), o.path("freedChunks").asLong(),
                dryRun ? " would be freed by gc" : ", freed by the catalog's next gc (or cryostash gc now)");
        return 0;
    }

    private static String at(JsonNode n) {
        String t = n.path("capturedAt").asText();
        return t.length() > 19 ? t.substring(0, 19) : t;
    }

    private static java.util.List<String> iterable(JsonNode a) {
        java.util.List<String> out = new java.util.ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }
}
