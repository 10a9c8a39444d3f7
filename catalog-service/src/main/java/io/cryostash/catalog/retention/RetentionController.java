// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.util.List;

import io.cryostash.catalog.system.NotFoundException;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/retention-policies")
@Tag(name = "retention", description = "Retention policies (administrators change them)")
public class RetentionController {

    private final RetentionRepository policies;
    private final RetentionService service;

    public RetentionController(RetentionRepository policies, RetentionService service) {
        this.policies = policies;
        this.service = service;
    }

    public record PolicyBody(@NotBlank @Size(max = 100) String name, Long jobId,
                             @Min(0) @Max(100_000) Integer keepLast, @Min(0) @Max(100_000) Integer keepHourly,
                             @Min(0) @Max(100_000) Integer keepDaily, @Min(0) @Max(10_000) Integer keepWeekly,
                             Boolean enabled) {
        RetentionService.PolicyInput input() {
            return new RetentionService.PolicyInput(name, jobId, zero(keepLast), zero(keepHourly), zero(keepDaily),
                    zero(keepWeekly), enabled == null || enabled);
        }

        private static int zero(Integer n) {
            return n == null ? 0 : n;
        }
    }

    @GetMapping
    @PreAuthorize("hasRole('VIEWER')")
    public List<RetentionPolicy> list() {
        return policies.findAll();
    }

    @GetMapping("/{id}")
    @PreAuthorize("hasRole('VIEWER')")
    public RetentionPolicy get(@PathVariable long id) {
        return policies.find(id).orElseThrow(() -> new NotFoundException("retention policy", String.valueOf(id)));
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    public RetentionPolicy create(@Valid @RequestBody PolicyBody body) {
        return service.create(body.input());
    }

    @PutMapping("/{id}")
    @PreAuthorize("hasRole('ADMIN')")
    public RetentionPolicy update(@PathVariable long id, @Valid @RequestBody PolicyBody body) {
        return service.update(id, body.input());
    }

    @PostMapping("/{id}/apply")
    @PreAuthorize("hasRole('ADMIN')")
    @io.swagger.v3.oas.annotations.Operation(summary = "Expire the images this policy does not keep (dryRun=true: only say which)")
    public RetentionService.Outcome apply(@PathVariable long id, @RequestParam(defaultValue = "false") boolean dryRun) {
        return service.apply(id, dryRun);
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void delete(@PathVariable long id) {
        service.delete(id);
    }
}
