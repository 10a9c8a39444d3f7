// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryostash.daemon.catalog.CatalogClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "audit", description = "The catalog's audit log: check its hash chain, export it.",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class})
final class AuditCommand {

    @Command(name = "verify", description = "Check the audit log's hash chain and its signed anchors in the store: exit 0 when"
            + " intact, 2 when an edited, deleted or inserted entry or a rewritten chain is found (each named).")
    static final class Verify implements Callable<Integer> {
        @Mixin
        CatalogOption catalog;

        @Override
        public Integer call() {
            JsonNode v = CatalogCommands.client(catalog, "audit verify").post("/api/audit/verify", null);
            if (v.path("valid").asBoolean()) {
                System.out.printf("ok: audit chain intact, %d links (head %d %s), %d signed anchors checked%n",
                        v.path("links").asLong(), v.path("headSeq").asLong(), v.path("headHash").asText(""), v.path("anchors").asInt());
                return 0;
            }
            for (JsonNode p : v.path("problems")) {
                System.out.println("error: " + p.path("kind").asText() + ": " + p.path("message").asText());
            }
            System.out.printf("audit chain broken: %d problem(s) in %d links%n", v.path("problems").size(), v.path("links").asLong());
            return 2;
        }
    }

    @Command(name = "export", description = "Export the audit log (filtered), oldest first, with each entry's chain link.")
    static final class Export implements Callable<Integer> {
        @Option(names = "--format", paramLabel = "csv|json", defaultValue = "csv", description = "default ${DEFAULT-VALUE}")
        String format;
        @Option(names = "--actor", paramLabel = "<name>") String actor;
        @Option(names = "--action", paramLabel = "<prefix>", description = "action prefix, e.g. image. or restore.") String action;
        @Option(names = "--from", paramLabel = "<time>", description = "ISO-8601, e.g. 2026-01-31T00:00:00Z") String from;
        @Option(names = "--to", paramLabel = "<time>") String to;
        @Option(names = {"-o", "--output"}, paramLabel = "<file>", description = "write here instead of standard output") Path output;
        @Mixin
        CatalogOption catalog;

        @Override
        public Integer call() throws IOException {
            if (!"csv".equals(format) && !"json".equals(format)) throw new IllegalArgumentException("--format must be csv or json");
            StringBuilder q = new StringBuilder("/api/audit/export?format=" + format);
            if (actor != null) q.append("&actor=").append(CatalogClient.query(actor));
            if (action != null) q.append("&action=").append(CatalogClient.query(action));
            if (from != null) q.append("&from=").append(CatalogClient.query(from));
            if (to != null) q.append("&to=").append(CatalogClient.query(to));
            String text = CatalogCommands.client(catalog, "audit export").getText(q.toString());
            if (output != null) {
                Files.writeString(output, text);
                System.err.println("wrote " + output);
            } else {
                System.out.print(text);
            }
            return 0;
        }
    }
}
