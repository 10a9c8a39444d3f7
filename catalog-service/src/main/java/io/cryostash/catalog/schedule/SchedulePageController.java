// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.web.WebErrors;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

@Controller
public class SchedulePageController {

    private final ScheduleRepository schedules;
    private final ScheduleService service;
    private final JobRepository jobs;

    public SchedulePageController(ScheduleRepository schedules, ScheduleService service, JobRepository jobs) {
        this.schedules = schedules;
        this.service = service;
        this.jobs = jobs;
    }

    @GetMapping("/schedules")
    @PreAuthorize("hasRole('VIEWER')")
    public String list(Model model) {
        model.addAttribute("schedules", schedules.findAll());
        model.addAttribute("jobs", jobs.findAll());
        return "schedules";
    }

    @PostMapping("/schedules")
    @PreAuthorize("hasRole('OPERATOR')")
    public String create(@RequestParam long jobId, @RequestParam(required = false) Integer intervalMinutes,
                         @RequestParam(required = false) String cron,
                         @RequestParam(defaultValue = "RESUME") String afterCapture, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            boolean byCron = cron != null && !cron.isBlank();
            if (!byCron && (intervalMinutes == null || intervalMinutes < 1 || intervalMinutes > 525_600)) {
                throw new InvalidRequestException("interval: 1 minute to 1 year, or a cron expression");
            }
            if (!afterCapture.equals("RESUME") && !afterCapture.equals("KILL")) throw new InvalidRequestException("afterCapture: RESUME or KILL");
            var s = service.create(new ScheduleService.ScheduleInput(jobId, byCron ? null : intervalMinutes * 60,
                    byCron ? cron : null, afterCapture, true));
            return "Schedule " + s.id() + " for " + s.job() + " created";
        });
        return "redirect:/schedules";
    }

    @PostMapping("/schedules/{id}/toggle")
    @PreAuthorize("hasRole('OPERATOR')")
    public String toggle(@PathVariable long id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            var s = schedules.find(id).orElseThrow(() -> new io.cryostash.catalog.system.NotFoundException("schedule", String.valueOf(id)));
            service.update(id, new ScheduleService.ScheduleInput(s.jobId(), s.intervalSeconds(), s.cron(), s.afterCapture(), !s.enabled()));
            return "Schedule " + id + (s.enabled() ? " paused" : " resumed");
        });
        return "redirect:/schedules";
    }

    @PostMapping("/schedules/{id}/delete")
    @PreAuthorize("hasRole('OPERATOR')")
    public String delete(@PathVariable long id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            service.delete(id);
            return "Schedule " + id + " deleted";
        });
        return "redirect:/schedules";
    }
}
