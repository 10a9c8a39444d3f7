// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.time.Instant;

import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;

@Controller
public class AuditPageController {

    private final AuditRepository audit;
    private final AuditStatus status;

    public AuditPageController(AuditRepository audit, AuditStatus status) {
        this.audit = audit;
        this.status = status;
    }

    @org.springframework.web.bind.annotation.PostMapping("/audit/verify")
    @PreAuthorize("hasRole('VIEWER')")
    public String verify(org.springframework.web.servlet.mvc.support.RedirectAttributes flash) {
        ChainVerification v = status.checkNow();
        flash.addFlashAttribute(v.valid() ? "message" : "error", v.valid()
                ? "The audit chain verifies: " + v.links() + " links, " + v.anchors() + " anchors"
                : "The audit chain does not verify: " + v.problems().size() + " problem(s)");
        return "redirect:/audit";
    }

    @GetMapping("/audit")
    @PreAuthorize("hasRole('VIEWER')")
    public String list(@RequestParam(required = false) String actor, @RequestParam(required = false) String action,
                       @RequestParam(required = false) String targetType, @RequestParam(required = false) String targetId,
                       @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) java.time.LocalDate from,
                       @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE) java.time.LocalDate to,
                       @RequestParam(defaultValue = "0") int page, Model model) {
        Instant f = from == null ? null : from.atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        Instant t = to == null ? null : to.plusDays(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
        AuditFilter filter = new AuditFilter(actor, action, targetType, targetId, f, t);
        model.addAttribute("pageBase", io.cryostash.catalog.web.Fmt.pageBase());
        model.addAttribute("result", audit.find(filter, Math.max(0, page), 100));
        model.addAttribute("actions", audit.actions());
        model.addAttribute("chain", status.last());
        model.addAttribute("q", new java.util.LinkedHashMap<>(java.util.Map.of(
                "actor", actor == null ? "" : actor, "action", action == null ? "" : action,
                "targetType", targetType == null ? "" : targetType, "targetId", targetId == null ? "" : targetId,
                "from", from == null ? "" : from.toString(), "to", to == null ? "" : to.toString())));
        return "audit";
    }
}
