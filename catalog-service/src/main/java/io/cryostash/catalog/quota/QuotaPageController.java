// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.quota;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.web.WebErrors;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** The Quotas page: usage against each quota, a chart of usage over time with the limit, and setting or raising a quota. */
@Controller
public class QuotaPageController {

    private final QuotaRepository quotas;
    private final QuotaService service;
    private final JobRepository jobs;
    private final HostRepository hosts;

    public QuotaPageController(QuotaRepository quotas, QuotaService service, JobRepository jobs, HostRepository hosts) {
        this.quotas = quotas;
        this.service = service;
        this.jobs = jobs;
        this.hosts = hosts;
    }

    @GetMapping("/quotas")
    @PreAuthorize("hasRole('VIEWER')")
    public String list(Model model) {
        List<Quota> all = quotas.findAll();
        List<Map<String, Object>> series = new ArrayList<>();
        for (Quota q : all) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("name", q.subject());
            s.put("limit", q.limitBytes());
            s.put("points", quotas.samples(q.jobId(), q.jobId() == null ? q.hostId() : null, 30).stream()
                    .map(p -> List.of(p.at().toEpochMilli(), p.storedBytes())).toList());
            s.put("now", q.usedBytes());
            series.add(s);
        }
        model.addAttribute("quotas", all);
        model.addAttribute("chartData", series); // serialised by the template, escaped for a script element
        model.addAttribute("jobs", jobs.findAll());
        model.addAttribute("hosts", hosts.findAll());
        return "quotas";
    }

    @PostMapping("/quotas")
    @PreAuthorize("hasRole('ADMIN')")
    public String set(@RequestParam String subject, @RequestParam double limit, @RequestParam(defaultValue = "GiB") String unit,
                      RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            long bytes = bytes(limit, unit);
            Quota q;
            if (subject.startsWith("job:")) {
                q = service.setForJob(Long.parseLong(subject.substring(4)), bytes);
            } else if (subject.startsWith("host:")) {
                q = service.setForHost(subject.substring(5), bytes);
            } else {
                throw new InvalidRequestException("subject: a job or a host");
            }
            return "Quota of " + q.subject() + " set to " + new io.cryostash.catalog.web.Fmt().bytes(q.limitBytes());
        });
        return "redirect:/quotas";
    }

    @PostMapping("/quotas/{id}/delete")
    @PreAuthorize("hasRole('ADMIN')")
    public String delete(@PathVariable long id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            Quota q = quotas.findAll().stream().filter(x -> x.id() == id).findFirst()
                    .orElseThrow(() -> new InvalidRequestException("no quota " + id));
            if (q.jobId() != null) service.clearJob(q.jobId());
            else service.clearHost(q.hostId());
            return "Quota of " + q.subject() + " removed";
        });
        return "redirect:/quotas";
    }

    static long bytes(double amount, String unit) {
        long mult = switch (unit) {
            case "MiB" -> 1L << 20;
            case "GiB" -> 1L << 30;
            case "TiB" -> 1L << 40;
            default -> throw new InvalidRequestException("unit: MiB, GiB or TiB");
        };
        if (!(amount > 0) || amount * mult > Long.MAX_VALUE / 2) throw new InvalidRequestException("limit: a positive size");
        return Math.round(amount * mult);
    }
}
