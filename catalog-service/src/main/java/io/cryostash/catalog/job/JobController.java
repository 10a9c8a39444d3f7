// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.job;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.snapshot.SnapshotRepository;
import io.cryostash.catalog.snapshot.SnapshotRequest;
import io.cryostash.catalog.snapshot.SnapshotService;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
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
    private final SnapshotService snapshots;
    private final SnapshotRepository snapshotRequests;

    public JobController(JobRepository jobs, HostRepository hosts, AuditLog audit, SnapshotService snapshots,
                         SnapshotRepository snapshotRequests) {
        this.snapshotRequests = snapshotRequests;
        this.jobs = jobs;
        this.hosts = hosts;
        this.audit = audit;
        this.snapshots = snapshots;
    }

    public record SnapshotBody(Boolean kill) {
    }

    public record SnapshotAccepted(UUID requestId) {
    }

    @PostMapping("/{id}/snapshots")
    @ResponseStatus(HttpStatus.ACCEPTED)
    @PreAuthorize("hasRole('OPERATOR')")
    @Operation(summary = "Ask the job's host for a snapshot now (snapshot.requested through the outbox); 409 when the job is GONE, "
            + "422 when it has no pid; kill: stop the process once it is stored")
    public SnapshotAccepted snapshot(@PathVariable long id, @RequestBody(required = false) SnapshotBody body) {
        boolean kill = body != null && Boolean.TRUE.equals(body.kill());
        return new SnapshotAccepted(snapshots.request(id, null, Actor.current().name(), kill));
    }

    @GetMapping("/{id}/snapshots")
    @PreAuthorize("hasRole('VIEWER')")
    @Operation(summary = "The job's latest snapshot requests and their answers, newest first")
    public List<SnapshotRequest> snapshots(@PathVariable long id, @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
        jobs.find(id).orElseThrow(() -> new NotFoundException("job", String.valueOf(id)));
        return snapshotRequests.forJob(id, size);
    }

    public record NewJob(@NotBlank String hostId, @NotBlank @Size(max = 200) String name,
                         @Positive @Max(4_194_304) Integer pid,
                         // /proc/PID/stat field 22: lets the agent refuse a pid that now names another process
                         @PositiveOrZero Long processStart,
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
        if (j.name().chars().anyMatch(Character::isISOControl)) throw new InvalidRequestException("name: must not contain control characters");
        long id = jobs.insert(j.hostId(), j.name(), j.pid(), j.processStart(), j.commandPattern(), j.labels());
        audit.record("job.created", "job", String.valueOf(id), Map.of("host", j.hostId(), "name", j.name()));
        return jobs.find(id).orElseThrow();
    }
}
