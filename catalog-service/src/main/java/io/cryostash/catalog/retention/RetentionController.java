// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.util.List;

import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.NotFoundException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@Tag(name = "retention", description = "Retention policies and forgetting images (administrators change and apply them)")
public class RetentionController {

    private final RetentionRepository policies;
    private final RetentionService service;

    public RetentionController(RetentionRepository policies, RetentionService service) {
        this.policies = policies;
        this.service = service;
    }

    /** A named policy: the rules of {@link RulesBody}, flat, plus name, job (none: the default) and enabled. */
    public record PolicyBody(@NotBlank @Size(max = 100) String name, Long jobId, Integer keepLast, Integer keepHourly,
                             Integer keepDaily, Integer keepWeekly, Integer keepMonthly, Integer keepYearly,
                             String keepWithin, Boolean enabled) {
        RetentionService.PolicyInput input() {
            RetentionRules rules = new RulesBody(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
                    keepWithin).rules();
            return new RetentionService.PolicyInput(name, jobId, rules, enabled == null || enabled);
        }
    }

    @GetMapping("/api/retention-policies")
    @PreAuthorize("hasRole('VIEWER')")
    public List<RetentionPolicy> list() {
        return policies.findAll();
    }

    @GetMapping("/api/retention-policies/{id}")
    @PreAuthorize("hasRole('VIEWER')")
    public RetentionPolicy get(@PathVariable long id) {
        return policies.find(id).orElseThrow(() -> new NotFoundException("retention policy", String.valueOf(id)));
    }

    @PostMapping("/api/retention-policies")
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    public RetentionPolicy create(@Valid @RequestBody PolicyBody body) {
        return service.create(body.input());
    }

    @PutMapping("/api/retention-policies/{id}")
    @PreAuthorize("hasRole('ADMIN')")
    public RetentionPolicy update(@PathVariable long id, @Valid @RequestBody PolicyBody body) {
        return service.update(id, body.input());
    }

    @PostMapping("/api/retention-policies/{id}/apply")
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Expire the images this policy does not keep (dryRun=true: only say which, and the bytes that frees)")
    public RetentionService.Outcome apply(@PathVariable long id, @RequestParam(defaultValue = "false") boolean dryRun) {
        return service.apply(id, dryRun);
    }

    @DeleteMapping("/api/retention-policies/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void delete(@PathVariable long id) {
        service.delete(id);
    }

    @PostMapping("/api/retention/apply")
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Apply every job's policy now, as the schedule does (dryRun=true: only say what would go)")
    public RetentionService.Outcome applyAll(@RequestParam(defaultValue = "false") boolean dryRun) {
        return service.applyAll(dryRun, Actor.current());
    }

    @GetMapping("/api/jobs/{jobId}/retention")
    @PreAuthorize("hasRole('VIEWER')")
    @Operation(summary = "The policy that applies to a job: its own (source=job), the default (source=default) or none")
    public RetentionService.Effective show(@PathVariable long jobId) {
        return service.effective(jobId);
    }

    @PutMapping("/api/jobs/{jobId}/retention")
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Set the job's own policy (counts absent are 0; keepWithin like 30d, 1y6m, 12h)")
    public RetentionPolicy set(@PathVariable long jobId, @RequestBody RulesBody rules) {
        return service.setForJob(jobId, rules.rules());
    }

    @DeleteMapping("/api/jobs/{jobId}/retention")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Remove the job's own policy: the default applies again")
    public void clear(@PathVariable long jobId) {
        service.clearForJob(jobId);
    }

    @PostMapping("/api/jobs/{jobId}/forget")
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Apply the job's policy now (dryRun=true: only say what would be expired and the bytes that frees)")
    public RetentionService.Outcome forget(@PathVariable long jobId, @RequestParam(defaultValue = "false") boolean dryRun) {
        return service.forgetJob(jobId, dryRun);
    }
}
