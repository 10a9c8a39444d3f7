// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.cryostash.catalog.host.Compatibility;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.restore.RestoreRepository;
import io.cryostash.catalog.restore.RestoreService;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.catalog.web.WebErrors;
import io.cryostash.catalog.web.WebTime;
import io.cryostash.schema.catalog.ImageRegistration;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

@Controller
public class ImagePageController {

    private final ImageRepository images;
    private final HostRepository hosts;
    private final JobRepository jobs;
    private final RestoreRepository restores;
    private final RestoreService restoreService;
    private final ImageService imageService;

    public ImagePageController(ImageRepository images, HostRepository hosts, JobRepository jobs,
                               RestoreRepository restores, RestoreService restoreService, ImageService imageService) {
        this.images = images;
        this.hosts = hosts;
        this.jobs = jobs;
        this.restores = restores;
        this.restoreService = restoreService;
        this.imageService = imageService;
    }

    @GetMapping("/images")
    @PreAuthorize("hasRole('VIEWER')")
    public String list(@RequestParam(required = false) String host,
                       @RequestParam(required = false) String job,
                       @RequestParam(required = false) String label,
                       @RequestParam(required = false) ImageState state,
                       @RequestParam(required = false) String from,
                       @RequestParam(required = false) String to,
                       @RequestParam(required = false) String q,
                       @RequestParam(required = false) String sort,
                       @RequestParam(required = false) String dir,
                       @RequestParam(defaultValue = "0") int page,
                       @RequestParam(defaultValue = "25") int size,
                       Model model) {
        int p = Math.max(0, page);
        int s = Math.min(Math.max(1, size), 200);
        // Times come from datetime-local inputs (no zone: UTC); one that does not parse is left out
        // of the filter and said so on the page, rather than failing the whole page.
        List<String> problems = new ArrayList<>();
        Instant fromTime = time("from", from, problems);
        Instant toTime = time("to", to, problems);
        // The same for a label that is not key=value (the repository refuses it; found by RestInputFuzzProperties: 500)
        if (label != null && !label.isBlank() && label.indexOf('=') <= 0) {
            problems.add("label: must be key=value");
            label = null;
        }
        ImageFilter f = new ImageFilter(host, job, label, state, fromTime, toTime, q, sort, dir);
        if (!ImageFilter.SORTS.containsKey(f.sortOrDefault()) || !ImageFilter.DIRS.contains(f.dirOrDefault())) {
            f = new ImageFilter(host, job, label, state, fromTime, toTime, q, null, null);
        }
        if (!problems.isEmpty()) model.addAttribute("error", String.join("; ", problems));
        model.addAttribute("filter", f);
        model.addAttribute("fromInput", WebTime.input(fromTime));
        model.addAttribute("toInput", WebTime.input(toTime));
        model.addAttribute("pageBase", io.cryostash.catalog.web.Fmt.pageBase());
        model.addAttribute("result", images.find(f, p, s));
        model.addAttribute("hosts", hosts.findAll());
        model.addAttribute("jobNames", jobs.findAll().stream().map(j -> j.name()).distinct().sorted().toList());
        model.addAttribute("states", ImageState.values());
        model.addAttribute("size", s);
        return "images";
    }

    private static Instant time(String name, String text, List<String> problems) {
        try {
            return WebTime.parse(text);
        } catch (IllegalArgumentException e) {
            problems.add(name + ": " + e.getMessage());
            return null;
        }
    }

    @GetMapping("/images/{id}")
    @PreAuthorize("hasRole('VIEWER')")
    public String show(@PathVariable String id,
                       @RequestParam(defaultValue = "0") int threadPage,
                       @RequestParam(defaultValue = "0") int areaPage,
                       @RequestParam(defaultValue = "0") int fdPage,
                       Model model) {
        // Each list pages on its own, so that paging through areas keeps the descriptors where they were.
        var window = new ImageContents.Window(offset(threadPage), offset(areaPage), offset(fdPage), CONTENTS_PAGE);
        ImageDetails d = images.details(id, 50, window).orElseThrow(() -> new NotFoundException("image", id));
        List<Compatibility> all = hosts.findAll().stream()
                .map(h -> Compatibility.of(d.arch(), d.cpuFlags(), d.vdsoFingerprint(), h))
                .sorted(Comparator.comparing((Compatibility c) -> !c.compatible()).thenComparing(c -> c.host().name()))
                .toList();
        model.addAttribute("image", d);
        model.addAttribute("compatible", all.stream().filter(Compatibility::compatible).toList());
        model.addAttribute("incompatible", all.stream().filter(c -> !c.compatible()).toList());
        model.addAttribute("restores", restores.find(null, id, null, 0, 20).items());
        return "image";
    }

    /** Rows of each contents list per page: a JVM maps a few thousand areas; no page should render them all. */
    static final int CONTENTS_PAGE = 200;

    private static int offset(int page) {
        return (int) Math.min(Math.max(0L, (long) page * CONTENTS_PAGE), ImageRegistration.MAX_AREAS);
    }

    @PostMapping("/images/{id}/restore")
    @PreAuthorize("hasRole('OPERATOR')")
    public String restore(@PathVariable String id, @RequestParam String hostId, RedirectAttributes flash) {
        boolean ok = WebErrors.attempt(flash, () -> {
            var r = restoreService.request(id, hostId);
            return "Restore of " + id + " on " + r.targetHostName() + " requested (" + r.id() + ")";
        });
        return ok ? "redirect:/restores" : "redirect:/images/" + id;
    }

    @PostMapping("/images/{id}/delete")
    @PreAuthorize("hasRole('ADMIN')")
    public String delete(@PathVariable String id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            imageService.delete(id);
            return "Image " + id + " deleted";
        });
        return "redirect:/images/" + id;
    }
}
