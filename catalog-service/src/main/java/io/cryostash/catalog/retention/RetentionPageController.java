// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.util.List;

import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.pin.PinRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.web.WebErrors;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * The Retention page: policies, which policy each job follows, previews (dry runs: what would be
 * expired and the stored bytes that frees) and forgetting, and the pinned images.
 */
@Controller
public class RetentionPageController {

    private final RetentionRepository policies;
    private final RetentionService service;
    private final JobRepository jobs;
    private final PinRepository pins;
    private final io.cryostash.catalog.gc.GcService gc;
    private final io.cryostash.catalog.store.CatalogStore store;

    public RetentionPageController(RetentionRepository policies, RetentionService service, JobRepository jobs,
                                   PinRepository pins, io.cryostash.catalog.gc.GcService gc,
                                   io.cryostash.catalog.store.CatalogStore store) {
        this.policies = policies;
        this.service = service;
        this.jobs = jobs;
        this.pins = pins;
        this.gc = gc;
        this.store = store;
    }

    @GetMapping("/retention")
    @PreAuthorize("hasRole('VIEWER')")
    public String list(Model model) {
        model.addAttribute("policies", policies.findAll());
        model.addAttribute("jobs", jobs.findAll());
        model.addAttribute("effective", jobs.findAll().stream().map(j -> service.effective(j.id())).toList());
        model.addAttribute("pinned", pins.findAll());
        model.addAttribute("gcRuns", gc.recent(10));
        model.addAttribute("store", store.location().orElse(null));
        model.addAttribute("manifestsPending", gc.pendingManifests());
        return "retention";
    }

    @PostMapping("/retention/gc")
    @PreAuthorize("hasRole('ADMIN')")
    public String collect(@RequestParam(defaultValue = "false") boolean dryRun, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            var r = gc.run(dryRun, Actor.current());
            if ("FAILED".equals(r.state())) throw new io.cryostash.catalog.system.ConflictException("Garbage collection failed: " + r.error());
            var f = new io.cryostash.catalog.web.Fmt();
            return (dryRun ? "Dry run: would free " : "Garbage collection freed ") + f.bytes(r.bytesFreed())
                    + (dryRun ? "" : " after deleting " + r.manifestsDeleted() + " manifests of expired or deleted images")
                    + "; " + f.bytes(((Number) r.report().getOrDefault("bytesCondemned", 0)).longValue())
                    + " condemned, waiting for running captures";
        });
        return "redirect:/retention";
    }

    @PostMapping("/retention")
    @PreAuthorize("hasRole('ADMIN')")
    public String create(@RequestParam String name, @RequestParam(required = false) Long jobId,
                         @RequestParam(defaultValue = "0") int keepLast, @RequestParam(defaultValue = "0") int keepHourly,
                         @RequestParam(defaultValue = "0") int keepDaily, @RequestParam(defaultValue = "0") int keepWeekly,
                         @RequestParam(defaultValue = "0") int keepMonthly, @RequestParam(defaultValue = "0") int keepYearly,
                         @RequestParam(required = false) String keepWithin, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            if (name.isBlank() || name.length() > 100) throw new InvalidRequestException("name: 1 to 100 characters");
            RetentionRules rules = new RulesBody(keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly,
                    keepWithin).rules();
            var p = service.create(new RetentionService.PolicyInput(name, jobId, rules, true));
            return "Policy " + p.name() + " created: keeps " + p.describe();
        });
        return "redirect:/retention";
    }

    @PostMapping("/retention/{id}/apply")
    @PreAuthorize("hasRole('ADMIN')")
    public String apply(@PathVariable long id, @RequestParam(defaultValue = "false") boolean dryRun, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> report(service.apply(id, dryRun), flash));
        return "redirect:/retention";
    }

    @PostMapping("/retention/jobs/{jobId}/forget")
    @PreAuthorize("hasRole('ADMIN')")
    public String forget(@PathVariable long jobId, @RequestParam(defaultValue = "false") boolean dryRun, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> report(service.forgetJob(jobId, dryRun), flash));
        return "redirect:/retention";
    }

    @PostMapping("/retention/apply-all")
    @PreAuthorize("hasRole('ADMIN')")
    public String applyAll(@RequestParam(defaultValue = "false") boolean dryRun, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> report(service.applyAll(dryRun, Actor.current()), flash));
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

    private static String report(RetentionService.Outcome o, RedirectAttributes flash) {
        flash.addFlashAttribute("outcome", o);
        List<String> ids = o.jobs().stream().flatMap(j -> j.expired().stream()).map(RetentionService.Expired::id).toList();
        return (o.dryRun() ? "Preview: would keep " : "Kept ") + o.kept() + " images and " + (o.dryRun() ? "expire " : "expired ")
                + o.expired() + ", freeing " + new io.cryostash.catalog.web.Fmt().bytes(o.freedBytes()) + " of stored chunks"
                + (ids.isEmpty() ? "" : ": " + String.join(", ", ids.subList(0, Math.min(5, ids.size()))) + (ids.size() > 5 ? ", …" : ""));
    }
}
