// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.chunk.ChunkFilterService;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.pack.PackRepository;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.ForbiddenException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.schema.catalog.ImageRegistration;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class ImageService {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ImageService.class);

    private final ImageRepository images;
    private final JobRepository jobs;
    private final HostRepository hosts;
    private final AuditLog audit;
    private final ChunkFilterService chunkFilter;
    private final PackRepository packs;
    private final ImageContentsRepository contents;

    public ImageService(ImageRepository images, JobRepository jobs, HostRepository hosts, AuditLog audit,
                        ChunkFilterService chunkFilter, PackRepository packs, ImageContentsRepository contents) {
        this.packs = packs;
        this.contents = contents;
        this.images = images;
        this.jobs = jobs;
        this.hosts = hosts;
        this.audit = audit;
        this.chunkFilter = chunkFilter;
    }

    public enum Outcome { CREATED, ALREADY_REGISTERED }

    /** What a registration did, and the image's list row. */
    public record Registered(Outcome outcome, ImageSummary image) {
    }

    /**
     * Registers an image whose manifest the caller has verified ({@link CheckpointRegistrar}: the
     * registration is what the signed manifest and the store's index say); a second registration of
     * the same image with the same manifest is a no-op (events may come twice).
     * Agents register continuously, so this takes few statements, none with a row per chunk the image
     * names: job and image; the chunk list (one row, with the queue row for the reverse index), then
     * the chunks new since the parent; one queued row for the packs' live bytes (applied within
     * seconds by PackLiveBytesWorker; no pack row is locked here, so concurrent registrations into one
     * pack do not wait), audit entry (plus one to check the parent of an incremental image, and one
     * for the threads, areas and descriptors when the agent sent them).
     */
    @Transactional
    public Registered register(ImageRegistration r) {
        List<String> problems = r.problems();
        if (!problems.isEmpty()) throw new InvalidRequestException(problems);
        // The host exists: it enrolled the key the manifest verified with (and a foreign key says so too).
        if (r.parentId() != null && images.state(r.parentId()).isEmpty()) {
            throw new InvalidRequestException("parentId: no image " + r.parentId());
        }
        long t0 = System.nanoTime();
        var inserted = images.insertWithJob(r, jobs.labelsJson(r.jobLabels()));
        if (inserted.isEmpty()) {
            // The id exists: a repeated registration (the statement merged the job's labels again,
            // which changes nothing when they are the same) or a clash, which rolls that back.
            // Another host's image is refused before anything about it is read or sent back.
            if (!images.hostOf(r.imageId()).orElseThrow().equals(r.hostId())) {
                throw new ForbiddenException("Image " + r.imageId() + " cannot be registered by the agent of host "
                        + r.hostId());
            }
            String existing = images.manifestKey(r.imageId()).orElseThrow();
            if (!existing.equals(r.manifestKey())) {
                throw new ConflictException("Image " + r.imageId() + " is registered with another manifest");
            }
            return new Registered(Outcome.ALREADY_REGISTERED, images.summary(r.imageId()).orElseThrow());
        }
        long t1 = System.nanoTime();
        int fresh = images.insertChunks(r.imageId(), r.parentId(), r.chunks());
        long t2 = System.nanoTime();
        packs.imagesChanged(List.of(r.imageId()), +1);
        contents.insert(r);
        chunkFilter.addAfterCommit(r.chunks().stream().map(c -> HexFormat.of().parseHex(c.key())).toList());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("job", r.job());
        d.put("logicalBytes", r.logicalBytes());
        d.put("storedBytes", r.storedBytes());
        d.put("chunks", r.chunks().size());
        if (r.parentId() != null) d.put("parent", r.parentId());
        audit.record("image.registered", "image", r.imageId(), d);
        log.debug("Image {}: checks and image row {} ms, chunk list and {} of {} chunks new since the parent {} ms, the rest {} ms",
                r.imageId(), (t1 - t0) / 1_000_000, fresh, r.chunks().size(), (t2 - t1) / 1_000_000,
                (System.nanoTime() - t2) / 1_000_000);
        return new Registered(Outcome.CREATED, inserted.get());
    }

    /** Marks an image deleted (its chunks are freed by garbage collection once nothing else uses them). */
    @Transactional
    public void delete(String id) {
        // Locked, so that the state it had (and so whether its chunks stop being live now) is the one we change.
        ImageState before = images.stateForUpdate(id).orElseThrow(() -> new NotFoundException("image", id));
        if (before == ImageState.DELETED) throw new ConflictException("Image " + id + " is already deleted");
        if (images.pinned(id)) throw new ConflictException("Image " + id + " is pinned (legal hold): unpin it first");
        images.setState(id, ImageState.DELETED);
        if (before == ImageState.COMPLETE || before == ImageState.UPLOADING) packs.imagesChanged(List.of(id), -1);
        audit.record("image.deleted", "image", id, Map.of());
    }
}
