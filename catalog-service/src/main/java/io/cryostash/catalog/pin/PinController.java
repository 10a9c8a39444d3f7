// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pin;

import java.util.List;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@Tag(name = "pins", description = "Legal holds: pinned images are never expired nor deleted (administrators pin)")
public class PinController {

    private final PinService service;
    private final PinRepository pins;

    public PinController(PinService service, PinRepository pins) {
        this.service = service;
        this.pins = pins;
    }

    public record PinBody(String reason) {
    }

    @GetMapping("/api/pins")
    @PreAuthorize("hasRole('VIEWER')")
    public List<Pin> list() {
        return pins.findAll();
    }

    @PostMapping("/api/images/{id}/pin")
    @ResponseStatus(HttpStatus.CREATED)
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Pin an image (legal hold), with an optional reason")
    public Pin pin(@PathVariable String id, @RequestBody(required = false) PinBody body) {
        return service.pin(id, body == null ? null : body.reason());
    }

    @DeleteMapping("/api/images/{id}/pin")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void unpin(@PathVariable String id) {
        service.unpin(id);
    }
}
