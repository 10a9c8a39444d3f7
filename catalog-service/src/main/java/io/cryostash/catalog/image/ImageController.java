// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

import io.cryostash.catalog.host.Compatibility;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.event.EventRefusedException;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ForbiddenException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.Page;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.event.CheckpointCompleted;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.format.annotation.DateTimeFormat;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.server.ResponseStatusException;

@RestController
@RequestMapping("/api/images")
@Tag(name = "images", description = "Checkpoint images: registration by agents, search and details")
public class ImageController {

    private final ImageService service;
    private final CheckpointRegistrar registrar;
    private final ImageRepository images;
    private final HostRepository hosts;

    public ImageController(ImageService service, CheckpointRegistrar registrar, ImageRepository images, HostRepository hosts) {
        this.service = service;
        this.registrar = registrar;
        this.images = images;
        this.hosts = hosts;
    }

    @PostMapping
    @PreAuthorize("hasRole('AGENT')")
    @Operation(summary = "Register an image (agents, for their own host only): the body is a checkpoint.completed event, "
            + "a pointer; the catalog reads the signed manifest from the store, verifies it with the key the host enrolled "
            + "and registers what it says. 201 when new, 200 when registered before, 422 when the manifest does not verify, "
            + "503 when the store cannot be read now")
    public ResponseEntity<ImageSummary> register(@RequestBody CheckpointCompleted event) {
        if (event.hostId() == null || !event.hostId().equals(Actor.agentHost())) {
            throw new ForbiddenException("This agent token is bound to host " + Actor.agentHost() + ", not " + event.hostId());
        }
        ImageService.Registered r;
        try {
            r = registrar.register(event);
        } catch (EventRefusedException e) {
            throw new InvalidRequestException(e.getMessage());
        } catch (IOException e) {
            throw new ResponseStatusException(HttpStatus.SERVICE_UNAVAILABLE, "Cannot read the image from the store now: " + e.getMessage(), e);
        }
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
