// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pin;

import java.util.LinkedHashMap;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.image.ImageRepository;
import io.cryostash.catalog.image.ImageState;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Pinning and unpinning, each in the audit log with who and why. */
@Service
public class PinService {

    private final PinRepository pins;
    private final ImageRepository images;
    private final AuditLog audit;

    public PinService(PinRepository pins, ImageRepository images, AuditLog audit) {
        this.pins = pins;
        this.images = images;
        this.audit = audit;
    }

    @Transactional
    public Pin pin(String imageId, String reason) {
        if (reason != null && reason.length() > 500) throw new InvalidRequestException("reason: at most 500 characters");
        // Locked: a retention run that holds the job's images decides before or after the pin, never in between.
        ImageState state = images.stateForUpdate(imageId).orElseThrow(() -> new NotFoundException("image", imageId));
        if (state != ImageState.COMPLETE && state != ImageState.UPLOADING) {
            throw new ConflictException("Image " + imageId + " is " + state.name().toLowerCase() + ": only a live image can be pinned");
        }
        if (!pins.pin(imageId, Actor.current().name(), reason)) {
            throw new ConflictException("Image " + imageId + " is already pinned");
        }
        Map<String, Object> d = new LinkedHashMap<>();
        if (reason != null) d.put("reason", reason);
        audit.record("image.pinned", "image", imageId, d);
        return pins.find(imageId).orElseThrow();
    }

    @Transactional
    public void unpin(String imageId) {
        images.stateForUpdate(imageId).orElseThrow(() -> new NotFoundException("image", imageId));
        Pin before = pins.find(imageId).orElseThrow(() -> new ConflictException("Image " + imageId + " is not pinned"));
        pins.unpin(imageId);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("pinnedBy", before.pinnedBy());
        if (before.reason() != null) d.put("reason", before.reason());
        audit.record("image.unpinned", "image", imageId, d);
    }
}
