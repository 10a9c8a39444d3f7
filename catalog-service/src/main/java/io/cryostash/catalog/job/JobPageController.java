// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.job;

import java.util.List;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.snapshot.SnapshotRepository;
import io.cryostash.catalog.snapshot.SnapshotRequest;
import io.cryostash.catalog.snapshot.SnapshotService;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.web.WebErrors;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** The jobs page: each job's state, last image and last snapshot request; new jobs by host and pid; "Snapshot now". */
@Controller
public class JobPageController {

    private final JobRepository jobs;
    private final HostRepository hosts;
    private final SnapshotRepository requests;
    private final SnapshotService snapshots;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    public JobPageController(JobRepository jobs, HostRepository hosts, SnapshotRepository requests, SnapshotService snapshots,
                             AuditLog audit, TransactionTemplate tx) {
        this.jobs = jobs;
        this.hosts = hosts;
        this.requests = requests;
        this.snapshots = snapshots;
        this.audit = audit;
        this.tx = tx;
    }

    /** One line of the page. */
    public record JobRow(Job job, String lastImage, SnapshotRequest lastRequest) {
    }

    @GetMapping("/jobs")
    @PreAuthorize("hasRole('VIEWER')")
    public String list(Model model) {
        List<JobRow> rows = jobs.findAll().stream()
                .map(j -> new JobRow(j, jobs.lastCompleteImage(j.id(), j.hostId()).orElse(null),
                        requests.forJob(j.id(), 1).stream().findFirst().orElse(null)))
                .toList();
        model.addAttribute("jobs", rows);
        model.addAttribute("hosts", hosts.findAll());
        return "jobs";
    }

    @PostMapping("/jobs")
    @PreAuthorize("hasRole('OPERATOR')")
    public String create(@RequestParam String hostId, @RequestParam String name, @RequestParam int pid,
                         @RequestParam(required = false) Long processStart, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> tx.execute(s -> {
            if (!hosts.exists(hostId)) throw new InvalidRequestException("host: no host " + hostId);
            if (name.isBlank() || name.length() > 200 || name.chars().anyMatch(Character::isISOControl)) {
                throw new InvalidRequestException("name: 1 to 200 characters without control characters");
            }
            if (pid < 1 || pid > 4_194_304) throw new InvalidRequestException("pid: 1 to 4194304");
            if (processStart != null && processStart < 0) throw new InvalidRequestException("processStart: must not be negative");
            long id = jobs.insert(hostId, name.strip(), pid, processStart, null, Map.of());
            audit.record("job.created", "job", String.valueOf(id), Map.of("host", hostId, "name", name.strip(), "pid", pid));
            return "Job " + name.strip() + " on " + hostId + " created";
        }));
        return "redirect:/jobs";
    }

    @PostMapping("/jobs/{id}/snapshot")
    @PreAuthorize("hasRole('OPERATOR')")
    public String snapshot(@PathVariable long id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> "Snapshot requested (" + snapshots.request(id, null, Actor.current().name(), false) + ")");
        return "redirect:/jobs";
    }
}
