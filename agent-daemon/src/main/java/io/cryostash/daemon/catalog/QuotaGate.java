// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.catalog;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryostash.store.UploadLimitException;
import io.cryostash.store.repository.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the catalog, before a capture freezes anything, what the job's and the host's quotas leave
 * ({@code GET /api/quotas/check}). A quota that is used up refuses the capture at once
 * ({@link QuotaRefusedException}: the process is never touched); otherwise the capture runs under
 * an upload limit ({@link Repository#limitUploads}) that stops it before the chunk that would go over
 * is uploaded. A catalog that cannot be reached or answer does not stop captures (agents keep working
 * through a catalog that is briefly away): the capture runs unlimited and says so in the log.
 */
public final class QuotaGate {
    private static final Logger log = LoggerFactory.getLogger(QuotaGate.class);

    private QuotaGate() {
    }

    /** A quota is used up: the capture must not start. */
    public static final class QuotaRefusedException extends RuntimeException {
        public QuotaRefusedException(String message) {
            super(message);
        }
    }

    /** The limit to capture under, or null when no quota applies (or the catalog cannot say). */
    public static Repository.UploadLimit ask(CatalogClient client, String hostId, String job) {
        JsonNode r;
        try {
            r = client.get("/api/quotas/check?host=" + CatalogClient.query(hostId)
                    + (job == null ? "" : "&job=" + CatalogClient.query(job)));
        } catch (CatalogException e) {
            log.warn("cannot ask the catalog about quotas ({}); capturing without a limit", e.getMessage());
            return null;
        }
        if (!r.path("allowed").asBoolean(true)) {
            throw new QuotaRefusedException("capture refused before anything was frozen: " + r.path("message").asText());
        }
        long remaining = r.path("remainingBytes").asLong(Long.MAX_VALUE);
        if (remaining == Long.MAX_VALUE) return null;
        return new Repository.UploadLimit(remaining, describe(r) + ", " + remaining + " bytes left");
    }

    private static String describe(JsonNode r) {
        JsonNode job = r.path("job");
        JsonNode host = r.path("host");
        long jobLeft = job.isObject() ? job.path("limitBytes").asLong() - job.path("usedBytes").asLong() : Long.MAX_VALUE;
        long hostLeft = host.isObject() ? host.path("limitBytes").asLong() - host.path("usedBytes").asLong() : Long.MAX_VALUE;
        return jobLeft <= hostLeft ? "the quota of job " + job.path("job").asText() + " on " + job.path("hostId").asText()
                : "the quota of host " + host.path("hostId").asText();
    }

    /** The upload limit that stopped a capture, if that is what failed it. */
    public static UploadLimitException cause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof UploadLimitException u) return u;
        }
        return null;
    }
}
