// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.host;

import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.security.AgentTokenService;
import io.cryostash.catalog.store.KeyFingerprint;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.ForbiddenException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.schema.catalog.HostReport;
import io.cryostash.schema.catalog.ImageRegistration;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/hosts")
@Tag(name = "hosts", description = "Machines with agents, their online state and agent tokens")
public class HostController {

    private final HostRepository hosts;
    private final AgentTokenService tokens;
    private final AuditLog audit;

    public HostController(HostRepository hosts, AgentTokenService tokens, AuditLog audit) {
        this.hosts = hosts;
        this.tokens = tokens;
        this.audit = audit;
    }

    public record NewHost(@NotNull @Pattern(regexp = "^[A-Za-z0-9._:-]{1,128}$") String id,
                          @Size(max = 200) @Pattern(regexp = "[^\\p{Cntrl}]*", message = "must not contain control characters") String name) {
    }

    @GetMapping
    @PreAuthorize("hasRole('VIEWER')")
    @Operation(summary = "All hosts with their online state (heartbeat within cryostash.catalog.host-online-within)")
    public List<Host> list() {
        return hosts.findAll();
    }

    @GetMapping("/{id}")
    @PreAuthorize("hasRole('VIEWER')")
    public Host get(@PathVariable String id) {
        return hosts.find(id).orElseThrow(() -> new NotFoundException("host", id));
    }

    /**
     * A host's public signing key. Public by nature: every agent may read every host's, since an agent
     * restoring an image captured on another host verifies its signature with the key the capturing
     * host enrolled (the catalog vouches for it, so no trusted-keys directory has to be copied around).
     */
    public record HostKey(String hostId, String publicKey, String keyFingerprint, Instant enrolledAt) {
    }

    @GetMapping("/{id}/key")
    @PreAuthorize("hasAnyRole('AGENT', 'VIEWER')")
    @Operation(summary = "The Ed25519 public key the host enrolled (base64 X.509, as in host-ed25519.pub) and its fingerprint;"
            + " agents use it to verify images captured on that host. 404 when the host does not exist or has no key")
    public HostKey key(@PathVariable String id) {
        if (!hosts.exists(id)) throw new NotFoundException("host", id);
        var k = hosts.enrolledKey(id).orElseThrow(() -> new NotFoundException("signing key of host", id));
        return new HostKey(id, Base64.getEncoder().encodeToString(k.publicKey()), KeyFingerprint.of(k.publicKey()), k.enrolledAt());
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Announce a host before its agents run (so that a token can be issued for it)")
    @Transactional
    public Host create(@Valid @RequestBody NewHost h) {
        if (!ImageRegistration.isValidId(h.id())) throw new InvalidRequestException("id: must not be . or ..");
        if (!hosts.insert(h.id(), h.name() == null || h.name().isBlank() ? h.id() : h.name())) {
            throw new ConflictException("Host " + h.id() + " exists");
        }
        audit.record("host.created", "host", h.id(), Map.of("name", h.name() == null ? h.id() : h.name()));
        return hosts.find(h.id()).orElseThrow();
    }

    @PutMapping("/{id}/heartbeat")
    @PreAuthorize("hasRole('AGENT')")
    @Operation(summary = "An agent reports its host (only for the host its token is bound to)")
    @Transactional
    public Host heartbeat(@PathVariable String id, @RequestBody HostReport report) {
        if (!id.equals(Actor.agentHost())) {
            throw new ForbiddenException("This agent token is bound to host " + Actor.agentHost() + ", not " + id);
        }
        List<String> problems = report.problems();
        if (!problems.isEmpty()) throw new InvalidRequestException(problems);
        Host before = hosts.find(id).orElse(null);
        hosts.heartbeat(id, report);
        Host after = hosts.find(id).orElseThrow();
        if (before == null || !before.cpuFlags().equals(after.cpuFlags()) || !java.util.Objects.equals(before.arch(), after.arch())
                || !java.util.Objects.equals(before.vdsoFingerprint(), after.vdsoFingerprint())
                || !java.util.Objects.equals(before.kernel(), after.kernel())
                || !java.util.Objects.equals(before.name(), after.name())) {
            Map<String, Object> d = new java.util.LinkedHashMap<>();
            if (before != null && !java.util.Objects.equals(before.name(), after.name())) d.put("renamedFrom", before.name());
            d.put("name", after.name());
            d.put("arch", String.valueOf(after.arch()));
            d.put("kernel", String.valueOf(after.kernel()));
            d.put("vdso", String.valueOf(after.vdsoFingerprint()));
            audit.record("host.updated", "host", id, d);
        }
        return after;
    }

    @PostMapping("/{id}/tokens")
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Issue a bearer token for this host's agents; the token is shown only in this response")
    public AgentTokenService.IssuedToken issueToken(@PathVariable String id) {
        return tokens.issue(id);
    }

    @GetMapping("/{id}/tokens")
    @PreAuthorize("hasRole('ADMIN')")
    public List<AgentTokenService.TokenInfo> listTokens(@PathVariable String id) {
        return tokens.list(id);
    }

    @DeleteMapping("/{id}/tokens/{tokenId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void revokeToken(@PathVariable String id, @PathVariable long tokenId) {
        tokens.revoke(id, tokenId);
    }
}
