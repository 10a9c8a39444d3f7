// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.host;

import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.enrolment.EnrolmentService;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.security.AgentTokenService;
import io.cryostash.catalog.security.EnrolmentTokenService;
import io.cryostash.catalog.web.CurrentUserAdvice;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.web.WebErrors;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

@Controller
public class HostPageController {

    private final HostRepository hosts;
    private final AgentTokenService tokens;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final EnrolmentTokenService enrolmentTokens;
    private final EnrolmentService enrolment;

    public HostPageController(HostRepository hosts, AgentTokenService tokens, AuditLog audit, TransactionTemplate tx,
                              EnrolmentTokenService enrolmentTokens, EnrolmentService enrolment) {
        this.hosts = hosts;
        this.tokens = tokens;
        this.audit = audit;
        this.tx = tx;
        this.enrolmentTokens = enrolmentTokens;
        this.enrolment = enrolment;
    }

    @GetMapping("/hosts")
    @PreAuthorize("hasRole('VIEWER')")
    public String list(Model model) {
        model.addAttribute("hosts", hosts.findAll());
        model.addAttribute("online", hosts.onlineCount());
        if (CurrentUserAdvice.isAdmin()) model.addAttribute("enrolmentTokens", enrolmentTokens.list());
        return "hosts";
    }

    @PostMapping("/hosts/{id}/reset-key")
    @PreAuthorize("hasRole('ADMIN')")
    public String resetKey(@PathVariable String id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            enrolment.resetKey(id);
            return "Key of " + id + " reset: its agent tokens are revoked, and it may enrol with a new key";
        });
        return "redirect:/hosts";
    }

    @PostMapping("/enrolment-tokens")
    @PreAuthorize("hasRole('ADMIN')")
    public String newEnrolmentToken(@RequestParam(required = false) String label,
                                    @RequestParam(required = false) Integer expiresInHours, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            if (label != null && (label.length() > 200 || label.chars().anyMatch(Character::isISOControl))) {
                throw new InvalidRequestException("label: at most 200 characters without control characters");
            }
            if (expiresInHours != null && (expiresInHours < 1 || expiresInHours > 87_600)) {
                throw new InvalidRequestException("expires in: 1 to 87600 hours");
            }
            var t = enrolmentTokens.issue(label, expiresInHours == null ? null
                    : java.time.Instant.now().plus(java.time.Duration.ofHours(expiresInHours)), Actor.current());
            flash.addFlashAttribute("enrolmentToken", t);
            return null;
        });
        return "redirect:/hosts";
    }

    @PostMapping("/enrolment-tokens/{id}/revoke")
    @PreAuthorize("hasRole('ADMIN')")
    public String revokeEnrolmentToken(@PathVariable long id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            enrolmentTokens.revoke(id);
            return "Enrolment token " + id + " revoked";
        });
        return "redirect:/hosts";
    }

    @PostMapping("/hosts")
    @PreAuthorize("hasRole('ADMIN')")
    public String create(@RequestParam String id, @RequestParam(required = false) String name, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> tx.execute(s -> {
            // The API's rules (HostController.NewHost): a name of at most 200 characters, no control characters.
            if (!io.cryostash.schema.catalog.ImageRegistration.isValidId(id)) {
                throw new InvalidRequestException("id: 1 to 128 letters, digits, . _ : - (not . or ..)");
            }
            if (name != null && (name.length() > 200 || name.chars().anyMatch(Character::isISOControl))) {
                throw new InvalidRequestException("name: at most 200 characters, no control characters");
            }
            String n = name == null || name.isBlank() ? id : name;
            if (!hosts.insert(id, n)) throw new ConflictException("Host " + id + " exists");
            audit.record("host.created", "host", id, Map.of("name", n));
            return "Host " + id + " added";
        }));
        return "redirect:/hosts";
    }

    @PostMapping("/hosts/{id}/tokens")
    @PreAuthorize("hasRole('ADMIN')")
    public String issue(@PathVariable String id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            var t = tokens.issue(id);
            flash.addFlashAttribute("token", t);
            return null;
        });
        return "redirect:/hosts";
    }
}
