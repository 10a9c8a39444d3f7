// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.job;

import java.util.List;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/jobs")
@Tag(name = "jobs", description = "Named things to snapshot on a host")
public class JobController {

    private final JobRepository jobs;
    private final HostRepository hosts;
    private final AuditLog audit;

    public JobController(JobRepository jobs, HostRepository hosts, AuditLog audit) {
        this.jobs = jobs;
        this.hosts = hosts;
        this.audit = audit;
    }

    public record NewJob(@NotBlank String hostId, @NotBlank @Size(max = 200) String name,
                         @Positive @Max(4_194_304) Integer pid,
                         @Size(max = 1000) String commandPattern,
                         // the same label limits as a registration's jobLabels
                         @Size(max = 64) Map<@NotBlank @Size(max = 64) String, @NotNull @Size(max = 256) String> labels) {
    }

    @GetMapping
    @PreAuthorize("hasRole('VIEWER')")
    public List<Job> list(@RequestParam(required = false) String host) {
        return host == null ? jobs.findAll() : jobs.findByHost(host);
    }

    @GetMapping("/{id}")
    @PreAuthorize("hasRole('VIEWER')")
    public Job get(@PathVariable long id) {
        return jobs.find(id).orElseThrow(() -> new NotFoundException("job", String.valueOf(id)));
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('OPERATOR')")
    @Transactional
    public Job create(@Valid @RequestBody NewJob j) {
        if (!hosts.exists(j.hostId())) throw new InvalidRequestException("hostId: no host " + j.hostId());
        if (j.pid() == null && (j.commandPattern() == null || j.commandPattern().isBlank())) {
            throw new InvalidRequestException("pid or commandPattern: one of them is required");
        }
        long id = jobs.insert(j.hostId(), j.name(), j.pid(), j.commandPattern(), j.labels());
        audit.record("job.created", "job", String.valueOf(id), Map.of("host", j.hostId(), "name", j.name()));
        return jobs.find(id).orElseThrow();
    }
}
