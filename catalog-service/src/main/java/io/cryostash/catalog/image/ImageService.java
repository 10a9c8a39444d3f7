package io.cryostash.catalog.image;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.ForbiddenException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.schema.catalog.ImageRegistration;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class ImageService {

    private final ImageRepository images;
    private final JobRepository jobs;
    private final HostRepository hosts;
    private final AuditLog audit;

    public ImageService(ImageRepository images, JobRepository jobs, HostRepository hosts, AuditLog audit) {
        this.images = images;
        this.jobs = jobs;
        this.hosts = hosts;
        this.audit = audit;
    }

    public enum Outcome { CREATED, ALREADY_REGISTERED }

    /**
     * Registers an image an agent finished. Only the agent of the image's own host may; a second
     * registration of the same image with the same manifest is a no-op (events may come twice).
     */
    @Transactional
    public Outcome register(ImageRegistration r) {
        List<String> problems = r.problems();
        if (!problems.isEmpty()) throw new InvalidRequestException(problems);
        String agentHost = Actor.agentHost();
        if (agentHost == null || !agentHost.equals(r.hostId())) {
            throw new ForbiddenException("This agent token is bound to host " + agentHost + ", not " + r.hostId());
        }
        var existing = images.manifestKey(r.imageId());
        if (existing.isPresent()) {
            if (existing.get().equals(r.manifestKey())) return Outcome.ALREADY_REGISTERED;
            throw new ConflictException("Image " + r.imageId() + " is registered with another manifest");
        }
        // The host exists: the agent's token is bound to it (and a foreign key says so too).
        if (r.parentId() != null && images.state(r.parentId()).isEmpty()) {
            throw new InvalidRequestException("parentId: no image " + r.parentId());
        }
        long jobId = jobs.upsert(r.hostId(), r.job(), r.jobLabels());
        images.insert(r, jobId);
        images.insertChunks(r.imageId(), r.chunks());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("job", r.job());
        d.put("logicalBytes", r.logicalBytes());
        d.put("storedBytes", r.storedBytes());
        d.put("chunks", r.chunks().size());
        if (r.parentId() != null) d.put("parent", r.parentId());
        audit.record("image.registered", "image", r.imageId(), d);
        return Outcome.CREATED;
    }

    /** Marks an image deleted (its chunks are freed by garbage collection once nothing else uses them). */
    @Transactional
    public void delete(String id) {
        if (images.state(id).isEmpty()) throw new NotFoundException("image", id);
        if (images.setState(id, ImageState.DELETED) == 0) throw new ConflictException("Image " + id + " is already deleted");
        audit.record("image.deleted", "image", id, Map.of());
    }
}
