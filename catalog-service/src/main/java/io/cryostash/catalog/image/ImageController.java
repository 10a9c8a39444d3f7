// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.time.Instant;
import java.util.List;

import io.cryostash.catalog.host.Compatibility;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.system.Page;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.schema.catalog.ImageRegistration;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;

@RestController
@RequestMapping("/api/images")
@Tag(name = "images", description = "Checkpoint images: registration by agents, search and details")
public class ImageController {

    private final ImageService service;
    private final ImageRepository images;
    private final HostRepository hosts;

    public ImageController(ImageService service, ImageRepository images, HostRepository hosts) {
        this.service = service;
        this.images = images;
        this.hosts = hosts;
    }

    @PostMapping
    @PreAuthorize("hasRole('AGENT')")
    @Operation(summary = "Register an image from its manifest summary (agents, for their own host only); "
            + "201 when new, 200 when the same image was registered before")
    public ResponseEntity<ImageSummary> register(@RequestBody ImageRegistration registration) {
        var r = service.register(registration);
        return ResponseEntity.status(r.outcome() == ImageService.Outcome.CREATED ? HttpStatus.CREATED : HttpStatus.OK).body(r.image());
    }

    @GetMapping
    @PreAuthorize("hasRole('VIEWER')")
    @Operation(summary = "Search images; sort is capturedAt, logicalBytes, storedBytes, host or job; label is key=value")
    public Page<ImageSummary> list(@RequestParam(required = false) String host,
                                   @RequestParam(required = false) String job,
                                   @RequestParam(required = false) String label,
                                   @RequestParam(required = false) ImageState state,
                                   @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant from,
                                   @RequestParam(required = false) @DateTimeFormat(iso = DateTimeFormat.ISO.DATE_TIME) Instant to,
                                   @RequestParam(required = false) String q,
                                   @RequestParam(defaultValue = "capturedAt") String sort,
                                   @RequestParam(defaultValue = "desc") String dir,
                                   @RequestParam(defaultValue = "0") @Min(0) int page,
                                   @RequestParam(defaultValue = "50") @Min(1) @Max(500) int size) {
        return images.find(new ImageFilter(host, job, label, state, from, to, q, sort, dir), page, size);
    }

    @GetMapping("/{id}")
    @PreAuthorize("hasRole('VIEWER')")
    @Operation(summary = "An image's details: process summary, parent and children, chunk totals and the first chunks; "
            + "contents: its threads, memory areas (by address) and open descriptors (by number), up to `items` of each "
            + "from `itemsFrom`, with each list's total")
    public ImageDetails get(@PathVariable String id,
                            @RequestParam(defaultValue = "100") @Min(0) @Max(10000) int chunks,
                            @RequestParam(defaultValue = "1000") @Min(0) @Max(ImageRegistration.MAX_AREAS) int items,
                            @RequestParam(defaultValue = "0") @Min(0) int itemsFrom) {
        var window = new ImageContents.Window(itemsFrom, itemsFrom, itemsFrom, items);
        return images.details(id, chunks, window).orElseThrow(() -> new NotFoundException("image", id));
    }

    @GetMapping("/{id}/compatible-hosts")
    @PreAuthorize("hasRole('VIEWER')")
    @Operation(summary = "Every host, with the reasons it cannot run this image (none: it can)")
    public List<Compatibility> compatibleHosts(@PathVariable String id) {
        ImageDetails d = images.details(id, 0).orElseThrow(() -> new NotFoundException("image", id));
        return hosts.findAll().stream()
                .map(h -> Compatibility.of(d.arch(), d.cpuFlags(), d.vdsoFingerprint(), h))
                .toList();
    }

    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    @PreAuthorize("hasRole('ADMIN')")
    public void delete(@PathVariable String id) {
        service.delete(id);
    }
}
