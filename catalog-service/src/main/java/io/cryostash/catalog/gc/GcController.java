// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import java.util.List;

import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.NotFoundException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/gc")
@Tag(name = "gc", description = "Garbage collection of the store, run by the catalog (administrators start it)")
public class GcController {

    private final GcService gc;
    private final GcRunRepository runs;

    public GcController(GcService gc, GcRunRepository runs) {
        this.gc = gc;
        this.runs = runs;
    }

    @PostMapping
    @PreAuthorize("hasRole('ADMIN')")
    @Operation(summary = "Delete the manifests of expired and deleted images, then collect the store's garbage now "
            + "(dryRun=true: change nothing, report what would be condemned and freed); returns the run")
    public GcRun run(@RequestParam(defaultValue = "false") boolean dryRun) {
        return gc.run(dryRun, Actor.current());
    }

    @GetMapping("/runs")
    @PreAuthorize("hasRole('VIEWER')")
    public List<GcRun> recent(@RequestParam(defaultValue = "20") @Min(1) @Max(500) int limit) {
        return runs.recent(limit);
    }

    @GetMapping("/runs/{id}")
    @PreAuthorize("hasRole('VIEWER')")
    public GcRun get(@PathVariable long id) {
        return runs.find(id).orElseThrow(() -> new NotFoundException("gc run", String.valueOf(id)));
    }
}
