// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pin;

import io.cryostash.catalog.web.WebErrors;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Component;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/** Pin and unpin buttons of the image page. */
@Controller
public class PinPageController {

    private final PinService service;

    public PinPageController(PinService service) {
        this.service = service;
    }

    @PostMapping("/images/{id}/pin")
    @PreAuthorize("hasRole('ADMIN')")
    public String pin(@PathVariable String id, @RequestParam(required = false) String reason, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            service.pin(id, reason == null || reason.isBlank() ? null : reason.trim());
            return "Image " + id + " pinned: retention and deletion leave it alone";
        });
        return "redirect:/images/" + id;
    }

    @PostMapping("/images/{id}/unpin")
    @PreAuthorize("hasRole('ADMIN')")
    public String unpin(@PathVariable String id, @RequestParam(defaultValue = "/images/") String back, RedirectAttributes flash) {
        WebErrors.attempt(flash, () -> {
            service.unpin(id);
            return "Image " + id + " unpinned";
        });
        return "/retention".equals(back) ? "redirect:/retention" : "redirect:/images/" + id;
    }

    /** For templates: {@code ${@pins.of(image.id)}}, the image's pin or null. */
    @Component("pins")
    public static class Lookup {
        private final PinRepository pins;

        public Lookup(PinRepository pins) {
            this.pins = pins;
        }

        public Pin of(String imageId) {
            return pins.find(imageId).orElse(null);
        }
    }
}
