// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.restore;

import java.util.UUID;

import io.cryostash.catalog.web.WebErrors;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

@Controller
public class RestorePageController {

    private final RestoreRepository restores;
    private final RestoreService service;

    public RestorePageController(RestoreRepository restores, RestoreService service) {
        this.restores = restores;
        this.service = service;
    }

    @GetMapping("/restores")
    @PreAuthorize("hasRole('VIEWER')")
    public String list(@RequestParam(required = false) RestoreState state, @RequestParam(defaultValue = "0") int page,
                       Model model) {
        model.addAttribute("pageBase", io.cryostash.catalog.web.Fmt.pageBase());
        model.addAttribute("result", restores.find(null, null, state, Math.max(0, page), 50));
        model.addAttribute("state", state);
        model.addAttribute("states", RestoreState.values());
        return "restores";
    }

    @PostMapping("/restores/{id}/cancel")
    @PreAuthorize("hasRole('OPERATOR')")
    public String cancel(@PathVariable UUID id, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            service.cancel(id);
            return "Restore request " + id + " cancelled";
        });
        return "redirect:/restores";
    }
}
