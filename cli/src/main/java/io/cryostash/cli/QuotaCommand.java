// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryostash.daemon.catalog.CatalogClient;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "quota", description = "Stored-byte quotas per job or host in the catalog (setting them needs an admin): a"
        + " capture that would go over is refused before it uploads.",
        subcommands = {QuotaCommand.Set.class, QuotaCommand.Show.class, QuotaCommand.Remove.class})
final class QuotaCommand {

    /** Exactly one of --job and --host. */
    static final class Subject {
        @Option(names = "--job", paramLabel = "<job>", required = true, description = "job name, name@host, or id") String job;
        @Option(names = "--host", paramLabel = "<host-id>", required = true, description = "host id") String host;

        String path(CatalogClient c) {
            return job != null ? "/api/quotas/jobs/" + CatalogCommands.job(c, job).path("id").asLong()
                    : "/api/quotas/hosts/" + CatalogClient.query(host);
        }
    }

    @Command(name = "set", description = "Set or raise a quota: quota set --job sim 20GiB, quota set --host h1 1TiB")
    static final class Set implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Subject subject;
        @Parameters(paramLabel = "<size>", description = "limit of stored bytes: 500MiB, 20GiB, 1.5TiB")
        String size;
        @Mixin
        CatalogOption catalog;

        @Override
        public Integer call() {
            CatalogClient c = CatalogCommands.client(catalog, "quota set");
            JsonNode q = c.put(subject.path(c), Map.of("limitBytes", CatalogCommands.size(size)));
            System.out.println(line(q));
            return 0;
        }
    }

    @Command(name = "show", description = "Every quota, with the bytes stored now.")
    static final class Show implements Callable<Integer> {
        @Mixin
        CatalogOption catalog;

        @Override
        public Integer call() {
            JsonNode all = CatalogCommands.client(catalog, "quota show").get("/api/quotas");
            if (all.isEmpty()) System.out.println("no quotas: captures are not limited");
            all.forEach(q -> System.out.println(line(q)));
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove a quota.")
    static final class Remove implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Subject subject;
        @Mixin
        CatalogOption catalog;

        @Override
        public Integer call() {
            CatalogClient c = CatalogCommands.client(catalog, "quota remove");
            c.delete(subject.path(c));
            System.out.println("quota removed");
            return 0;
        }
    }

    static String line(JsonNode q) {
        String who = q.hasNonNull("jobId") ? "job " + q.path("job").asText() + "@" + q.path("hostId").asText()
                : "host " + q.path("hostId").asText();
        long used = q.path("usedBytes").asLong();
        long limit = q.path("limitBytes").asLong();
        return String.format("%-40s %10s of %10s (%d %%)", who, Sizes.human(used), Sizes.human(limit), limit == 0 ? 0 : used * 100 / limit);
    }
}
