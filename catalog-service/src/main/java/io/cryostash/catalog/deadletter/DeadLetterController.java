// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.deadletter;

import io.cryostash.catalog.system.Page;
import io.cryostash.catalog.web.Fmt;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseBody;

/** Dead letters for operators: the page and {@code GET /api/dead-letters}. */
@Controller
@Tag(name = "dead letters", description = "Events a consumer gave up on, with the reason")
public class DeadLetterController {

    private final DeadLetterRepository letters;

    public DeadLetterController(DeadLetterRepository letters) {
        this.letters = letters;
    }

    @GetMapping("/dead-letters")
    @PreAuthorize("hasRole('OPERATOR')")
    public String page(@RequestParam(defaultValue = "0") int page, Model model) {
        model.addAttribute("result", letters.find(Math.max(0, page), 50));
        model.addAttribute("pageBase", Fmt.pageBase());
        return "dead-letters";
    }

    @GetMapping("/api/dead-letters")
    @ResponseBody
    @PreAuthorize("hasRole('OPERATOR')")
    @Operation(summary = "Dead letters, newest first: original topic, key, type, consumer, attempts, reason, event")
    public Page<DeadLetter> list(@RequestParam(defaultValue = "0") @Min(0) int page,
                                 @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
        return letters.find(page, size);
    }
}
