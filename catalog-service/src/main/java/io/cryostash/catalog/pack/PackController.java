// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pack;

import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.catalog.system.Page;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/packs")
@Tag(name = "packs", description = "Pack objects of the store: how many of their bytes live images still use")
@PreAuthorize("hasRole('VIEWER')")
public class PackController {

    private final PackRepository packs;

    public PackController(PackRepository packs) {
        this.packs = packs;
    }

    @GetMapping
    @Operation(summary = "Packs by key (prefix filter), or with sort=leastLive those with the smallest live share first")
    public Page<Pack> list(@RequestParam(required = false) @Size(max = 512) String prefix,
                           @RequestParam(defaultValue = "key") @Pattern(regexp = "key|leastLive", message = "must be key or leastLive") String sort,
                           @RequestParam(defaultValue = "0") @Min(0) int page,
                           @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
        return packs.find(prefix, sort.equals("leastLive"), page, size);
    }

    /** One pack; its key is a query parameter because pack keys may contain slashes. */
    @GetMapping("/one")
    @Operation(summary = "One pack by its key")
    public Pack get(@RequestParam @Size(min = 1, max = 512) String key) {
        return packs.find(key).orElseThrow(() -> new NotFoundException("pack", key));
    }
}
