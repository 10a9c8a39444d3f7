// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import io.cryostash.daemon.catalog.CatalogClient;

/**
 * A restore asked of the catalog: POST /api/restores, then GET /api/restores/{id} until it is
 * COMPLETED, FAILED or CANCELLED, or the timeout passes (the request then stays queued: the target
 * host's agent takes it when it runs).
 */
final class CatalogRestore {
    /** @param state final state, or the last seen one when the wait timed out */
    record Outcome(String requestId, String state, Integer pid, String error, boolean timedOut) {
    }

    private CatalogRestore() {
    }

    static String resolveImage(CatalogClient catalog, String idOrPrefix) {
        if (idOrPrefix.matches("[0-9a-f]{64}")) return idOrPrefix;
        if (!idOrPrefix.matches("[0-9a-f]{6,63}")) {
            throw new IllegalArgumentException("image id " + idOrPrefix + ": give the id or a prefix of at least 6 hex digits");
        }
        JsonNode page = catalog.get("/api/images?q=" + CatalogClient.query(idOrPrefix) + "&size=50");
        List<String> ids = new ArrayList<>();
        page.path("items").forEach(i -> {
            if (i.path("id").asText().startsWith(idOrPrefix)) ids.add(i.path("id").asText());
        });
        if (ids.size() == 1) return ids.get(0);
        throw new IllegalArgumentException(ids.isEmpty() ? "the catalog has no image " + idOrPrefix
                : "image id prefix " + idOrPrefix + " is ambiguous: " + ids);
    }

    static Outcome request(CatalogClient catalog, String imageId, String hostId, Duration timeout) throws InterruptedException {
        JsonNode created = catalog.post("/api/restores", Map.of("imageId", imageId, "hostId", hostId));
        String id = created.path("id").asText();
        System.err.println("restore request " + id + ": image " + imageId.substring(0, 12) + " on host " + hostId);
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = created.path("state").asText();
        String reported = null;
        // Quick polls first (a small image is running in well under a second on a quiet machine), then
        // every 200 ms: the wait adds little to the restore and costs the catalog little.
        long pause = 20;
        while (true) {
            JsonNode r = catalog.get("/api/restores/" + id);
            last = r.path("state").asText();
            if (!last.equals(reported)) {
                System.err.println("  " + last.toLowerCase());
                reported = last;
            }
            switch (last) {
                case "COMPLETED" -> {
                    return new Outcome(id, last, r.path("restoredPid").asInt(), null, false);
                }
                case "FAILED", "CANCELLED" -> {
                    return new Outcome(id, last, null, r.path("error").asText(null), false);
                }
                default -> {
                }
            }
            if (System.nanoTime() > deadline) return new Outcome(id, last, null, null, true);
            Thread.sleep(pause);
            pause = Math.min(200, pause * 3 / 2);
        }
    }
}
