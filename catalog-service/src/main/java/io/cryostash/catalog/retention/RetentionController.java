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
                             @Min(0) @Max(100_000) int keepLast, @Min(0) @Max(100_000) int keepHourly,
                             @Min(0) @Max(100_000) int keepDaily, @Min(0) @Max(10_000) int keepWeekly,
                             Boolean enabled) {
        RetentionService.PolicyInput input() {
            return new RetentionService.PolicyInput(name, jobId, keepLast, keepHourly, keepDaily, keepWeekly,
                    enabled == null || enabled);
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

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void delete(@PathVariable long id) {
        service.delete(id);
    }
}
