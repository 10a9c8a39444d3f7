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

@Command(name = "retention", description = "A job's retention policy in the catalog (setting it needs an admin).",
        subcommands = {RetentionCommand.Set.class, RetentionCommand.Show.class})
final class RetentionCommand {

    @Command(name = "set", description = "Give a job its own policy, with restic's forget rules: images any rule keeps stay.")
    static final class Set implements Callable<Integer> {
        @Parameters(paramLabel = "<job>", description = "job name, name@host, or id")
        String job;
        @Option(names = "--keep-last", paramLabel = "<n>", description = "the newest n images") Integer last;
        @Option(names = "--keep-hourly", paramLabel = "<n>", description = "the newest image of each of the newest n hours") Integer hourly;
        @Option(names = "--keep-daily", paramLabel = "<n>", description = "… of each of the newest n days") Integer daily;
        @Option(names = "--keep-weekly", paramLabel = "<n>", description = "… of each of the newest n ISO weeks") Integer weekly;
        @Option(names = "--keep-monthly", paramLabel = "<n>", description = "… of each of the newest n months") Integer monthly;
        @Option(names = "--keep-yearly", paramLabel = "<n>", description = "… of each of the newest n years") Integer yearly;
        @Option(names = "--keep-within", paramLabel = "<duration>",
                description = "every image captured within this of the newest one: 30d, 12h, 1y6m (years y, months m, days d, hours h)")
        String within;
        @Mixin
        CatalogOption catalog;

        @Override
        public Integer call() {
            CatalogClient c = CatalogCommands.client(catalog, "retention set");
            JsonNode j = CatalogCommands.job(c, job);
            Map<String, Object> rules = new LinkedHashMap<>();
            rules.put("keepLast", last);
            rules.put("keepHourly", hourly);
            rules.put("keepDaily", daily);
            rules.put("keepWeekly", weekly);
            rules.put("keepMonthly", monthly);
            rules.put("keepYearly", yearly);
            rules.put("keepWithin", within);
            JsonNode p = c.put("/api/jobs/" + j.path("id").asLong() + "/retention", rules);
            System.out.println("job " + CatalogCommands.name(j) + " now keeps " + describe(p));
            return 0;
        }
    }

    @Command(name = "show", description = "The policy a job follows: its own, the default, or none (keeps everything).")
    static final class Show implements Callable<Integer> {
        @Parameters(paramLabel = "<job>", description = "job name, name@host, or id")
        String job;
        @Mixin
        CatalogOption catalog;

        @Override
        public Integer call() {
            CatalogClient c = CatalogCommands.client(catalog, "retention show");
            JsonNode j = CatalogCommands.job(c, job);
            JsonNode e = c.get("/api/jobs/" + j.path("id").asLong() + "/retention");
            String source = e.path("source").asText();
            if ("none".equals(source)) {
                System.out.println("job " + CatalogCommands.name(j) + ": no policy (neither its own nor a default): every image is kept");
            } else {
                JsonNode p = e.path("policy");
                System.out.println("job " + CatalogCommands.name(j) + ": " + ("job".equals(source) ? "its own policy " : "the default policy ")
                        + p.path("name").asText() + ", keeps " + describe(p));
            }
            return 0;
        }
    }

    static String describe(JsonNode p) {
        StringBuilder s = new StringBuilder();
        for (String[] f : new String[][] {{"keepLast", "last"}, {"keepHourly", "hourly"}, {"keepDaily", "daily"},
                {"keepWeekly", "weekly"}, {"keepMonthly", "monthly"}, {"keepYearly", "yearly"}}) {
            int n = p.path(f[0]).asInt();
            if (n > 0) s.append(s.isEmpty() ? "" : ", ").append(f[1]).append(' ').append(n);
        }
        if (p.hasNonNull("keepWithin")) s.append(s.isEmpty() ? "" : ", ").append("within ").append(p.path("keepWithin").asText());
        return s.toString();
    }
}
