// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.enrolment;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.event.MessageSignatures;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.security.AgentTokenService;
import io.cryostash.catalog.security.EnrolmentTokenService;
import io.cryostash.catalog.store.KeyFingerprint;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.schema.catalog.HostReport;
import io.cryostash.schema.catalog.ImageRegistration;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * A host enrols itself: with an enrolment token it names its id and its Ed25519 public key, and gets
 * an agent token. The key is fixed from then on (every manifest and message of the host must verify
 * with it): enrolling again with the same key just gives a new agent token, with another key it is
 * refused until an administrator resets the host's key (a reinstalled machine, a leaked key).
 */
@Service
public class EnrolmentService {

    private final HostRepository hosts;
    private final AgentTokenService agentTokens;
    private final EnrolmentTokenService enrolmentTokens;
    private final AuditLog audit;

    public EnrolmentService(HostRepository hosts, AgentTokenService agentTokens, EnrolmentTokenService enrolmentTokens,
                            AuditLog audit) {
        this.hosts = hosts;
        this.agentTokens = agentTokens;
        this.enrolmentTokens = enrolmentTokens;
        this.audit = audit;
    }

    /** What enrolling did: whether the host got its key now (a new enrolment) and its new agent token. */
    public record Enrolled(String hostId, String agentToken, boolean newKey) {
    }

    @Transactional
    public Enrolled enrol(long enrolmentTokenId, String hostId, String publicKeyBase64, HostReport report) {
        List<String> problems = new java.util.ArrayList<>();
        if (hostId == null || !ImageRegistration.ID.matcher(hostId).matches()) {
            problems.add("hostId: must match " + ImageRegistration.ID.pattern());
        } else if (!ImageRegistration.isValidId(hostId)) {
            problems.add("hostId: must not be . or ..");
        }
        byte[] key = parseKey(publicKeyBase64, problems);
        if (report != null) problems.addAll(report.problems());
        if (!problems.isEmpty()) throw new InvalidRequestException(problems);
        // The token may have been revoked since this request was authenticated: checked again in this transaction.
        if (!enrolmentTokens.usable(enrolmentTokenId)) throw new ConflictException("The enrolment token was revoked or has expired");
        boolean newKey;
        var state = hosts.keyStateForUpdate(hostId);
        if (state.isEmpty()) {
            hosts.insert(hostId, report != null && report.name() != null ? report.name() : hostId);
            hosts.setPublicKey(hostId, key);
            newKey = true;
        } else if (state.get().publicKey() == null) {
            hosts.setPublicKey(hostId, key);
            newKey = true;
        } else if (Arrays.equals(state.get().publicKey(), key)) {
            newKey = false;
        } else {
            throw new ConflictException("Host " + hostId + " is enrolled with another key (" + KeyFingerprint.of(state.get().publicKey())
                    + "); an administrator must reset its key before it can enrol with " + KeyFingerprint.of(key));
        }
        if (report != null) hosts.heartbeat(hostId, report);
        enrolmentTokens.used(enrolmentTokenId);
        var token = agentTokens.issue(hostId);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("key", KeyFingerprint.of(key));
        d.put("newKey", newKey);
        d.put("enrolmentToken", enrolmentTokenId);
        d.put("agentTokenId", token.id());
        audit.record("host.enrolled", "host", hostId, d);
        return new Enrolled(hostId, token.token(), newKey);
    }

    /** Forgets a host's key (and revokes its agent tokens, which belong to the old key's agent) so it can enrol anew. */
    @Transactional
    public void resetKey(String hostId) {
        if (!hosts.exists(hostId)) throw new NotFoundException("host", hostId);
        String before = hosts.publicKey(hostId).map(KeyFingerprint::of).orElse(null);
        if (!hosts.clearPublicKey(hostId)) throw new ConflictException("Host " + hostId + " has no key to reset");
        int revoked = agentTokens.revokeAll(hostId);
        audit.record("host.key-reset", "host", hostId, Map.of("key", String.valueOf(before), "agentTokensRevoked", revoked));
    }

    private static byte[] parseKey(String base64, List<String> problems) {
        if (base64 == null || base64.isBlank()) {
            problems.add("publicKey: is required (base64 of the X.509 Ed25519 public key, as in host-ed25519.pub)");
            return null;
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64.strip());
        } catch (IllegalArgumentException e) {
            problems.add("publicKey: is not base64 (" + e.getMessage() + ")");
            return null;
        }
        // The JDK's reasons ("IOException: null" and the like) say nothing a sender can act on: name what was expected.
        String expected = "is not an X.509 Ed25519 public key (the 44 bytes that host-ed25519.pub holds in base64)";
        if (key.length > 128) {
            problems.add("publicKey: " + expected + ": it is " + key.length + " bytes long");
            return null;
        }
        try {
            MessageSignatures.publicKey(key);
            return key;
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            problems.add("publicKey: " + expected);
            return null;
        }
    }
}
