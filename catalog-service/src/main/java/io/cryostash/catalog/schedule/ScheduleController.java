// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.util.List;

import io.cryostash.catalog.system.NotFoundException;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/schedules")
@Tag(name = "schedules", description = "Periodic snapshots of jobs (operators change them)")
public class ScheduleController {

    private final ScheduleRepository schedules;
    private final ScheduleService service;

    public ScheduleController(ScheduleRepository schedules, ScheduleService service) {
        this.schedules = schedules;
        this.service = service;
    }

    /** A timetable: intervalSeconds, or a cron expression (six fields: second minute hour day month weekday). */
    public record ScheduleBody(@NotNull Long jobId,
                               @Min(10) @Max(31_536_000) Integer intervalSeconds,
                               @Size(max = 200) String cron,
                               @Pattern(regexp = "RESUME|KILL") String afterCapture,
                               Boolean enabled) {
        ScheduleService.ScheduleInput input() {
            return new ScheduleService.ScheduleInput(jobId, intervalSeconds, cron, afterCapture == null ? "RESUME" : afterCapture,
                    enabled == null || enabled);
        }
    }

    @GetMapping
    @PreAuthorize("hasRole('VIEWER')")
    public List<Schedule> list() {
        return schedules.findAll();
    }

    @GetMapping("/{id}")
    @PreAuthorize("hasRole('VIEWER')")
    public Schedule get(@PathVariable long id) {
        return schedules.find(id).orElseThrow(() -> new NotFoundException("schedule", String.valueOf(id)));
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('OPERATOR')")
    public Schedule create(@Valid @RequestBody ScheduleBody body) {
        return service.create(body.input());
    }

    @PutMapping("/{id}")
    @PreAuthorize("hasRole('OPERATOR')")
    public Schedule update(@PathVariable long id, @Valid @RequestBody ScheduleBody body) {
        return service.update(id, body.input());
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('OPERATOR')")
    public void delete(@PathVariable long id) {
        service.delete(id);
    }
}
