// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.quota;

import java.util.List;

import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ForbiddenException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/quotas")
@Tag(name = "quotas", description = "Stored-byte quotas per job and per host (administrators set them)")
public class QuotaController {

    private final QuotaService service;
    private final QuotaRepository quotas;

    public QuotaController(QuotaService service, QuotaRepository quotas) {
        this.service = service;
        this.quotas = quotas;
    }

    public record LimitBody(long limitBytes) {
    }

    @GetMapping
    @PreAuthorize("hasRole('VIEWER')")
    @Operation(summary = "Every quota with the bytes stored now")
    public List<Quota> list() {
        return quotas.findAll();
    }

    @PutMapping("/jobs/{jobId}")
    @PreAuthorize("hasRole('ADMIN')")
    public Quota setJob(@PathVariable long jobId, @RequestBody LimitBody body) {
        return service.setForJob(jobId, body.limitBytes());
    }

    @DeleteMapping("/jobs/{jobId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void clearJob(@PathVariable long jobId) {
        service.clearJob(jobId);
    }

    @PutMapping("/hosts/{hostId}")
    @PreAuthorize("hasRole('ADMIN')")
    public Quota setHost(@PathVariable String hostId, @RequestBody LimitBody body) {
        return service.setForHost(hostId, body.limitBytes());
    }

    @DeleteMapping("/hosts/{hostId}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void clearHost(@PathVariable String hostId) {
        service.clearHost(hostId);
    }

    @GetMapping("/check")
    @PreAuthorize("hasRole('AGENT') or hasRole('OPERATOR')")
    @Operation(summary = "May a capture of this job on this host start, and how many bytes may it upload? (agents: their own host)")
    public QuotaService.Check check(@RequestParam String host, @RequestParam(required = false) String job) {
        String agentHost = Actor.agentHost();
        if (agentHost != null && !agentHost.equals(host)) {
            throw new ForbiddenException("This agent token is bound to host " + agentHost + ", not " + host);
        }
        return service.check(host, job);
    }

    @GetMapping("/usage")
    @PreAuthorize("hasRole('VIEWER')")
    @Operation(summary = "Stored bytes over time of a job or a host (samples), for charts")
    public List<QuotaRepository.Sample> usage(@RequestParam(required = false) Long jobId, @RequestParam(required = false) String hostId,
                                              @RequestParam(defaultValue = "30") @Min(1) @Max(366) int days) {
        return quotas.samples(jobId, hostId, days);
    }
}
