// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.web.WebErrors;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

@Controller
public class RetentionPageController {

    private final RetentionRepository policies;
    private final RetentionService service;
    private final JobRepository jobs;

    public RetentionPageController(RetentionRepository policies, RetentionService service, JobRepository jobs) {
        this.policies = policies;
        this.service = service;
        this.jobs = jobs;
    }

    @GetMapping("/retention")
    @PreAuthorize("hasRole('VIEWER')")
    public String list(Model model) {
        model.addAttribute("policies", policies.findAll());
        model.addAttribute("jobs", jobs.findAll());
        return "retention";
    }

    @PostMapping("/retention")
    @PreAuthorize("hasRole('ADMIN')")
    public String create(@RequestParam String name, @RequestParam(required = false) Long jobId,
                         @RequestParam(defaultValue = "0") int keepLast, @RequestParam(defaultValue = "0") int keepHourly,
                         @RequestParam(defaultValue = "0") int keepDaily, @RequestParam(defaultValue = "0") int keepWeekly,
                         RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            if (name.isBlank() || name.length() > 100) throw new io.cryostash.catalog.system.InvalidRequestException("name: 1 to 100 characters");
            // The API's bounds (RetentionController.PolicyBody).
            if (keepLast < 0 || keepHourly < 0 || keepDaily < 0 || keepWeekly < 0
                    || keepLast > 100_000 || keepHourly > 100_000 || keepDaily > 100_000 || keepWeekly > 10_000) {
                throw new io.cryostash.catalog.system.InvalidRequestException(
                        "counts: 0 to 100,000 (weekly: 0 to 10,000)");
            }
            var p = service.create(new RetentionService.PolicyInput(name, jobId, keepLast, keepHourly, keepDaily, keepWeekly, true));
            return "Policy " + p.name() + " created";
        });
        return "redirect:/retention";
    }

    @PostMapping("/retention/{id}/apply")
    @PreAuthorize("hasRole('ADMIN')")
    public String apply(@PathVariable long id, @RequestParam(defaultValue = "false") boolean dryRun, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            var o = service.apply(id, dryRun);
            return (dryRun ? "Would keep " : "Kept ") + o.kept().size() + " images and " + (dryRun ? "expire " : "expired ")
                    + o.expired().size() + (o.expired().isEmpty() ? "" : ": " + String.join(", ", o.expired().subList(0, Math.min(20, o.expired().size())))
                    + (o.expired().size() > 20 ? ", …" : ""));
        });
        return "redirect:/retention";
    }

    @PostMapping("/retention/{id}/delete")
    @PreAuthorize("hasRole('ADMIN')")
    public String delete(@PathVariable long id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            service.delete(id);
            return "Policy " + id + " deleted";
        });
        return "redirect:/retention";
    }
}
