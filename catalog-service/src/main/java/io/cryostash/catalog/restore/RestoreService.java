// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.restore;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.host.Compatibility;
import io.cryostash.catalog.host.Host;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.image.ImageDetails;
import io.cryostash.catalog.image.ImageRepository;
import io.cryostash.catalog.image.ImageState;
import io.cryostash.catalog.outbox.Outbox;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.ForbiddenException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.schema.event.RestoreCancelled;
import io.cryostash.schema.event.RestoreRequested;
import io.cryostash.schema.event.Topics;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class RestoreService {

    private final RestoreRepository restores;
    private final ImageRepository images;
    private final HostRepository hosts;
    private final Outbox outbox;
    private final AuditLog audit;

    public RestoreService(RestoreRepository restores, ImageRepository images, HostRepository hosts, Outbox outbox,
                          AuditLog audit) {
        this.restores = restores;
        this.images = images;
        this.hosts = hosts;
        this.outbox = outbox;
        this.audit = audit;
    }

    /**
     * Asks for an image to be restored on a host: the request row, its restore.requested event (in
     * the outbox, keyed by the target host) and the audit entry commit together.
     */
    @Transactional
    public RestoreRequest request(String imageId, String hostId) {
        ImageDetails image = images.details(imageId, 0).orElseThrow(() -> new NotFoundException("image", imageId));
        if (image.state() != ImageState.COMPLETE) {
            throw new ConflictException("Image " + imageId + " is " + image.state() + ", only COMPLETE images can be restored");
        }
        Host host = hosts.find(hostId).orElseThrow(() -> new InvalidRequestException("hostId: no host " + hostId));
        Compatibility c = Compatibility.of(image.arch(), image.cpuFlags(), image.vdsoFingerprint(), host);
        if (!c.compatible()) {
            throw new InvalidRequestException(c.reasons().stream().map(r -> "hostId: " + hostId + " cannot run this image: " + r).toList());
        }
        Actor actor = Actor.current();
        RestoreRequest r = restores.insert(imageId, hostId, actor.name());
        outbox.append(Topics.RESTORE_REQUESTED, hostId, RestoreRequested.TYPE,
                new RestoreRequested(RestoreRequested.VERSION, r.id(), imageId, image.manifestKey(), hostId, actor.name(), r.requestedAt()));
        audit.record("restore.requested", "restore", r.id().toString(), Map.of("image", imageId, "host", hostId));
        return r;
    }

    /** A restore agent reports progress on a request for its own host. */
    @Transactional
    public RestoreRequest report(UUID id, RestoreState next, Integer pid, String error) {
        RestoreRequest r = restores.findForUpdate(id).orElseThrow(() -> new NotFoundException("restore request", id.toString()));
        String agentHost = Actor.agentHost();
        if (agentHost == null || !agentHost.equals(r.targetHostId())) {
            throw new ForbiddenException("Restore request " + id + " is for host " + r.targetHostId() + ", not " + agentHost);
        }
        if (next == RestoreState.CANCELLED || next == RestoreState.REQUESTED) {
            throw new InvalidRequestException("state: agents report RUNNING, COMPLETED or FAILED");
        }
        if (next == RestoreState.FAILED && (error == null || error.isBlank())) {
            throw new InvalidRequestException("error: required when the state is FAILED");
        }
        error = ErrorText.keep(error);
        if (r.state() == next) return r; // a repeated report
        if (!r.state().canMoveTo(next)) throw new ConflictException("Restore request " + id + " is " + r.state() + ", cannot become " + next);
        restores.updateState(id, next, error, pid);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("state", next.name());
        if (pid != null) d.put("pid", pid);
        if (error != null) d.put("error", error);
        audit.record("restore." + next.name().toLowerCase(), "restore", id.toString(), d);
        return restores.find(id).orElseThrow();
    }

    /** Cancels a request no agent has started yet. */
    @Transactional
    public RestoreRequest cancel(UUID id) {
        RestoreRequest r = restores.findForUpdate(id).orElseThrow(() -> new NotFoundException("restore request", id.toString()));
        if (r.state() != RestoreState.REQUESTED) throw new ConflictException("Restore request " + id + " is " + r.state() + ", cannot be cancelled");
        restores.updateState(id, RestoreState.CANCELLED, null, null);
        outbox.append(Topics.RESTORE_REQUESTED, r.targetHostId(), RestoreCancelled.TYPE,
                new RestoreCancelled(RestoreCancelled.VERSION, id, r.targetHostId(), java.time.Instant.now()));
        audit.record("restore.cancelled", "restore", id.toString(), Map.of());
        return restores.find(id).orElseThrow();
    }
}
