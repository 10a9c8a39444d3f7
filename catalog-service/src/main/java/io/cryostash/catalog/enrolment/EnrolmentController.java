// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.enrolment;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.security.EnrolmentPrincipal;
import io.cryostash.catalog.security.EnrolmentTokenService;
import io.cryostash.schema.catalog.HostReport;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.web.bind.annotation.*;

@RestController
@Tag(name = "enrolment", description = "Hosts enrol themselves with an enrolment token and their signing key")
public class EnrolmentController {

    private final EnrolmentService enrolment;
    private final EnrolmentTokenService tokens;

    public EnrolmentController(EnrolmentService enrolment, EnrolmentTokenService tokens) {
        this.enrolment = enrolment;
        this.tokens = tokens;
    }

    public record EnrolRequest(String hostId, String publicKey, HostReport report) {
    }

    public record EnrolResponse(String hostId, String agentToken) {
    }

    @PostMapping("/api/hosts/enrol")
    @PreAuthorize("hasRole('ENROLMENT')")
    @Operation(summary = "Enrol a host (Authorization: Bearer cse_...): 201 with an agent token for a new key, 200 with a new "
            + "agent token for the key the host has, 409 when the host has another key (an administrator resets it)")
    public ResponseEntity<EnrolResponse> enrol(@AuthenticationPrincipal EnrolmentPrincipal holder, @RequestBody EnrolRequest r) {
        var e = enrolment.enrol(holder.tokenId(), r.hostId(), r.publicKey(), r.report());
        return ResponseEntity.status(e.newKey() ? HttpStatus.CREATED : HttpStatus.OK).body(new EnrolResponse(e.hostId(), e.agentToken()));
    }

    @DeleteMapping("/api/hosts/{id}/key")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Forget a host's signing key and revoke its agent tokens, so that it can enrol with a new key")
    public void resetKey(@PathVariable String id) {
        enrolment.resetKey(id);
    }

    public record NewEnrolmentToken(@Size(max = 200) @Pattern(regexp = "[^\\p{Cntrl}]*", message = "must not contain control characters") String label,
                                    @Min(1) @Max(87_600) Integer expiresInHours) {
    }

    @PostMapping("/api/enrolment-tokens")
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Make an enrolment token (shown only in this response); optional label and expiry in hours")
    public EnrolmentTokenService.IssuedToken create(@Valid @RequestBody(required = false) NewEnrolmentToken body) {
        String label = body == null ? null : body.label();
        Instant expires = body == null || body.expiresInHours() == null ? null
                : Instant.now().plus(Duration.ofHours(body.expiresInHours()));
        return tokens.issue(label, expires, Actor.current());
    }

    @GetMapping("/api/enrolment-tokens")
    @PreAuthorize("hasRole('ADMIN')")
    public List<EnrolmentTokenService.TokenInfo> list() {
        return tokens.list();
    }

    @DeleteMapping("/api/enrolment-tokens/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void revoke(@PathVariable long id) {
        tokens.revoke(id);
    }
}
