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

    public AuditPageController(AuditRepository audit) {
        this.audit = audit;
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
        model.addAttribute("q", new java.util.LinkedHashMap<>(java.util.Map.of(
                "actor", actor == null ? "" : actor, "action", action == null ? "" : action,
                "targetType", targetType == null ? "" : targetType, "targetId", targetId == null ? "" : targetId,
                "from", from == null ? "" : from.toString(), "to", to == null ? "" : to.toString())));
        return "audit";
    }
}
