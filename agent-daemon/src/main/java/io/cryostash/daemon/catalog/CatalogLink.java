// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.catalog;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.cryostash.daemon.state.HostDirectory;
import io.cryostash.schema.catalog.HostReport;
import io.cryostash.store.sign.HostKeys;

/**
 * One host's standing with the catalog: enrolment (enrolment token and the host's public key in, an
 * agent token out, kept in the host directory), heartbeats, and the few questions an agent asks
 * with its agent token. A token the catalog no longer accepts (401) is dropped and the host enrols
 * again with the enrolment token.
 */
public final class CatalogLink {
    private static final Logger log = LoggerFactory.getLogger(CatalogLink.class);

    private final String hostId;
    private final HostDirectory dir;
    private final HostKeys keys;
    private final String enrolToken;
    private final CatalogClient client;
    private volatile String agentToken;

    public CatalogLink(String catalogUrl, String hostId, HostDirectory dir, HostKeys keys, String enrolToken) {
        this.hostId = hostId;
        this.dir = dir;
        this.keys = keys;
        this.enrolToken = enrolToken;
        this.agentToken = dir.agentToken();
        this.client = new CatalogClient(catalogUrl, () -> agentToken, Duration.ofSeconds(15));
    }

    public boolean enrolled() {
        return agentToken != null;
    }

    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(keys.publicKey().getEncoded());
    }

    /** Enrols when the host has no agent token; throws {@link CatalogException} when it cannot. */
    public void ensureEnrolled(HostReport report) {
        if (agentToken == null) enrol(report);
    }

    /** Contract: POST /api/hosts/enrol with the enrolment token -> {"hostId", "agentToken"}. */
    public synchronized void enrol(HostReport report) {
        if (enrolToken == null) {
            throw new CatalogException(401, "host " + hostId + " has no agent token and no enrolment token to get one:"
                    + " give --enrol-token, CRYOSTASH_ENROL_TOKEN or enrol.token in the client config", null);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("hostId", hostId);
        body.put("publicKey", publicKeyBase64());
        body.put("report", report);
        JsonNode r;
        try {
            r = client.send("POST", "/api/hosts/enrol", body, enrolToken);
        } catch (CatalogException e) {
            if (e.status() == 409) {
                throw new CatalogException(409, "the catalog knows host " + hostId + " with another key than this agent's"
                        + " (" + dir.keyDir() + "): two agents may not share a host id; if this host was reinstalled,"
                        + " an admin resets its key (web catalog, or DELETE /api/hosts/" + hostId + "/key). " + e.getMessage(), e);
            }
            throw e;
        }
        String token = r.path("agentToken").asText(null);
        if (token == null || token.isBlank()) {
            throw new CatalogException(502, "the catalog's enrolment answer has no agentToken: " + r, null);
        }
        dir.saveAgentToken(token);
        agentToken = token;
        log.info("host {} enrolled with the catalog {} (key {})", hostId, client.baseUrl(), keys.keyId());
    }

    /** PUT /api/hosts/{id}/heartbeat; enrols again once if the token was refused. */
    public void heartbeat(HostReport report) {
        ensureEnrolled(report);
        try {
            client.put("/api/hosts/" + hostId + "/heartbeat", report);
        } catch (CatalogException e) {
            if (e.status() != 401) throw e;
            log.warn("the catalog refused host {}'s agent token; enrolling again", hostId);
            agentToken = null;
            dir.forgetAgentToken();
            enrol(report);
            client.put("/api/hosts/" + hostId + "/heartbeat", report);
        }
    }

    /** What this host's and the job's quotas leave for a capture ({@link QuotaGate}); null: no quota. */
    public io.cryostash.store.repository.Repository.UploadLimit uploadLimit(String job) {
        return QuotaGate.ask(client, hostId, job);
    }

    /** GET /api/restores/{id} as this host's agent. */
    public JsonNode restoreRequest(UUID id) {
        return withToken(() -> client.get("/api/restores/" + id));
    }

    /**
     * What the catalog says of a host's enrolled signing key: the key itself ({@code publicKey}) or
     * its fingerprint ({@code keyFingerprint}: the first 16 hex digits of the SHA-256 of its X.509
     * encoding); both null when it has none.
     */
    public record EnrolledKey(PublicKey key, String fingerprint) {
        /** Whether {@code x509} is this enrolled key. */
        public boolean matches(byte[] x509) {
            if (key != null) return java.util.Arrays.equals(key.getEncoded(), x509);
            return fingerprint != null && fingerprint.equalsIgnoreCase(io.cryostash.store.Hashing.hex(
                    io.cryostash.store.Hashing.sha256(x509)).substring(0, 16));
        }
    }

    /**
     * GET /api/hosts/{id}/key (any agent token may read any host's): the restore agent trusts manifests
     * signed by the key the catalog holds for their host.
     */
    public EnrolledKey enrolledKey(String host) {
        JsonNode h = withToken(() -> client.get("/api/hosts/" + CatalogClient.query(host) + "/key"));
        String b64 = h.path("publicKey").asText(null);
        PublicKey key = null;
        if (b64 != null && !b64.isBlank()) {
            try {
                key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new CatalogException(502, "the catalog's key for host " + host + " is not an Ed25519 key: " + e.getMessage(), e);
            }
        }
        String fp = h.path("keyFingerprint").asText(null);
        return new EnrolledKey(key, fp == null || fp.isBlank() ? null : fp);
    }

    private JsonNode withToken(java.util.function.Supplier<JsonNode> call) {
        if (agentToken == null) {
            throw new CatalogException(0, "host " + hostId + " is not enrolled with the catalog yet", null);
        }
        return call.get();
    }

    public CatalogClient client() {
        return client;
    }
}
