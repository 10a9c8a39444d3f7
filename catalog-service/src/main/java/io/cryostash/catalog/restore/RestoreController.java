// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.restore;

import java.util.UUID;

import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ForbiddenException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.catalog.system.Page;
import io.cryostash.schema.catalog.RestoreStatusReport;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/restores")
@Tag(name = "restores", description = "Restore requests: create (operators), follow, and agents' status reports")
public class RestoreController {

    private final RestoreService service;
    private final RestoreRepository restores;

    public RestoreController(RestoreService service, RestoreRepository restores) {
        this.service = service;
        this.restores = restores;
    }

    public record NewRestore(@NotBlank String imageId, @NotBlank String hostId) {
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('OPERATOR')")
    @Operation(summary = "Ask for an image to be restored on a compatible host (422 with reasons when the host cannot run it)")
    public RestoreRequest create(@Valid @RequestBody NewRestore r) {
        return service.request(r.imageId(), r.hostId());
    }

    @GetMapping
    @PreAuthorize("hasAnyRole('VIEWER', 'AGENT')")
    @Operation(summary = "Restore requests, newest first; agents see only their own host's")
    public Page<RestoreRequest> list(@RequestParam(required = false) String host,
                                     @RequestParam(required = false) String image,
                                     @RequestParam(required = false) RestoreState state,
                                     @RequestParam(defaultValue = "0") @Min(0) int page,
                                     @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
        String agentHost = Actor.agentHost();
        if (agentHost != null) {
            if (host != null && !host.equals(agentHost)) throw new ForbiddenException("Agents see only their own host's requests");
            host = agentHost;
        }
        return restores.find(host, image, state, page, size);
    }

    @GetMapping("/{id}")
    @PreAuthorize("hasAnyRole('VIEWER', 'AGENT')")
    public RestoreRequest get(@PathVariable UUID id) {
        RestoreRequest r = restores.find(id).orElseThrow(() -> new NotFoundException("restore request", id.toString()));
        String agentHost = Actor.agentHost();
        if (agentHost != null && !agentHost.equals(r.targetHostId())) throw new NotFoundException("restore request", id.toString());
        return r;
    }

    @PutMapping("/{id}/status")
    @PreAuthorize("hasRole('AGENT')")
    @Operation(summary = "The target host's restore agent reports RUNNING, COMPLETED (with pid) or FAILED (with error)")
    public RestoreRequest report(@PathVariable UUID id, @RequestBody RestoreStatusReport report) {
        RestoreState next;
        try {
            next = RestoreState.valueOf(String.valueOf(report.state()));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("state: must be RUNNING, COMPLETED or FAILED");
        }
        var problems = report.problems();
        if (!problems.isEmpty()) throw new InvalidRequestException(problems);
        return service.report(id, next, report.pid(), report.error());
    }

    @PostMapping("/{id}/cancel")
    @PreAuthorize("hasRole('OPERATOR')")
    public RestoreRequest cancel(@PathVariable UUID id) {
        return service.cancel(id);
    }
}
