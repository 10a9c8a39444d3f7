// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryostash.daemon.catalog.CatalogClient;

/** What the commands that only a catalog can answer (retention, forget, pins, quotas, audit) share. */
final class CatalogCommands {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]i?B|B)?", Pattern.CASE_INSENSITIVE);

    private CatalogCommands() {
    }

    /** A client for the configured catalog; a clear error when there is none. */
    static CatalogClient client(CatalogOption catalog, String command) {
        String url = catalog.url(false);
        if (url == null) {
            throw new IllegalArgumentException(command + " works against a catalog, and none is configured: give --catalog,"
                    + " set CRYOSTASH_CATALOG, or run cryostash up (which writes " + catalog.configFile() + ")");
        }
        return catalog.client(url);
    }

    /**
     * The job {@code ref} names: its id, {@code name@host}, or a name that only one host has. An
     * unknown or ambiguous name is an error listing what there is.
     */
    static JsonNode job(CatalogClient client, String ref) {
        List<JsonNode> all = new ArrayList<>();
        client.get("/api/jobs").forEach(all::add);
        if (ref.matches("\\d+")) {
            for (JsonNode j : all) if (j.path("id").asLong() == Long.parseLong(ref)) return j;
        }
        String name = ref;
        String host = null;
        int at = ref.lastIndexOf('@');
        if (at > 0) {
            name = ref.substring(0, at);
            host = ref.substring(at + 1);
        }
        List<JsonNode> matches = new ArrayList<>();
        for (JsonNode j : all) {
            if (j.path("name").asText().equals(name) && (host == null || j.path("hostId").asText().equals(host))) matches.add(j);
        }
        if (matches.size() == 1) return matches.get(0);
        if (matches.isEmpty()) {
            throw new IllegalArgumentException("no job " + ref + " in the catalog (jobs: " + String.join(", ",
                    all.stream().map(j -> j.path("name").asText() + "@" + j.path("hostId").asText()).toList()) + ")");
        }
        throw new IllegalArgumentException("job " + ref + " runs on several hosts: say which, as " + String.join(" or ",
                matches.stream().map(j -> name(j)).toList()));
    }

    static String name(JsonNode job) {
        return job.path("name").asText() + "@" + job.path("hostId").asText();
    }

    /** "10GiB", "512 MiB", "1.5T", "1000000" (bytes) → bytes. */
    static long size(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) throw new IllegalArgumentException("not a size: " + text + " (like 10GiB, 512MiB, 2TiB)");
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long mult = switch (unit) {
            case "" -> 1;
            case "K" -> 1L << 10;
            case "M" -> 1L << 20;
            case "G" -> 1L << 30;
            case "T" -> 1L << 40;
            default -> throw new IllegalArgumentException("unit of " + text + ": B, KiB, MiB, GiB or TiB");
        };
        long bytes = Math.round(v * mult);
        if (bytes <= 0) throw new IllegalArgumentException("a quota must be above 0 bytes, not " + text);
        return bytes;
    }
}
