// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.event.EventRefusedException;
import io.cryostash.catalog.event.MessageSignatures;
import io.cryostash.catalog.host.Host;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.snapshot.SnapshotService;
import io.cryostash.catalog.store.ManifestStore;
import io.cryostash.catalog.store.VerifiedImage;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.ForbiddenException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.store.StoreFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Registers the image a checkpoint.completed (from Kafka, or {@code POST /api/images}) points at. The
 * event is only a pointer: the catalog reads the signed manifest from the store, verifies it with the
 * key the host enrolled, and registers what the manifest and the store's index say
 * ({@link ManifestRegistration}). The caller has established that the event comes from
 * {@code e.hostId()} (a verified message signature, or that host's agent token).
 *
 * <p>Idempotent on the image id: a second event for a registered image only links its snapshot
 * request. Reading the store happens before any transaction; the rows (image, chunks, contents, job,
 * request, audit) commit together. A refusal is audited in a transaction of its own, since the
 * registration itself does not happen.
 */
@Service
public class CheckpointRegistrar {

    private static final Logger log = LoggerFactory.getLogger(CheckpointRegistrar.class);

    private final ImageService images;
    private final ImageRepository imageRows;
    private final HostRepository hosts;
    private final JobRepository jobs;
    private final SnapshotService snapshots;
    private final ManifestStore store;
    private final AuditLog audit;
    private final TransactionTemplate tx;

    public CheckpointRegistrar(ImageService images, ImageRepository imageRows, HostRepository hosts, JobRepository jobs,
                               SnapshotService snapshots, ManifestStore store, AuditLog audit,
                               PlatformTransactionManager transactions) {
        this.images = images;
        this.imageRows = imageRows;
        this.hosts = hosts;
        this.jobs = jobs;
        this.snapshots = snapshots;
        this.store = store;
        this.audit = audit;
        this.tx = new TransactionTemplate(transactions);
    }

    /**
     * @throws EventRefusedException the image does not verify or the event cannot be right; audited
     * @throws ForbiddenException    the image is registered as another host's; audited
     * @throws IOException           the store cannot be read now (worth retrying)
     */
    public ImageService.Registered register(CheckpointCompleted e) throws IOException {
        var problems = e.problems();
        if (!problems.isEmpty()) throw new InvalidRequestException(problems);
        try {
            return verifyAndRegister(e);
        } catch (EventRefusedException | ForbiddenException refused) {
            tx.executeWithoutResult(s -> audit.record("image.refused", "image", e.imageId(),
                    Map.of("host", e.hostId(), "reason", refused.getMessage())));
            throw refused;
        }
    }

    private ImageService.Registered verifyAndRegister(CheckpointCompleted e) throws IOException {
        String expectedKey = StoreFormat.MANIFESTS + e.imageId();
        if (!expectedKey.equals(e.manifestKey())) {
            throw new EventRefusedException("manifestKey " + e.manifestKey() + " is not where image " + e.imageId()
                    + " is stored (" + expectedKey + ")");
        }
        Optional<String> existing = imageRows.manifestKey(e.imageId());
        if (existing.isPresent() && !imageRows.hostOf(e.imageId()).orElseThrow().equals(e.hostId())) {
            // Another host's image: refused before anything of it is read, linked or sent back (not
            // even that the pointer is right), so that an agent learns nothing of other hosts' images.
            throw new ForbiddenException("Image " + e.imageId() + " cannot be registered by the agent of host " + e.hostId());
        }
        if (existing.isPresent()) {
            if (!existing.get().equals(e.manifestKey())) {
                throw new ConflictException("Image " + e.imageId() + " is registered with another manifest");
            }
            return tx.execute(s -> {
                snapshots.completed(e.requestId(), e.hostId(), e.imageId());
                return new ImageService.Registered(ImageService.Outcome.ALREADY_REGISTERED,
                        imageRows.summary(e.imageId()).orElseThrow());
            });
        }
        byte[] enrolled = hosts.publicKey(e.hostId()).orElseThrow(() -> new EventRefusedException(
                "host " + e.hostId() + " has not enrolled a signing key: its images cannot be verified"));
        PublicKey key;
        try {
            key = MessageSignatures.publicKey(enrolled);
        } catch (GeneralSecurityException ex) {
            throw new EventRefusedException("the key host " + e.hostId() + " enrolled is not an Ed25519 key", ex);
        }
        long t0 = System.nanoTime();
        VerifiedImage v = store.read(e.imageId(), key);
        long verified = System.nanoTime();
        Host host = hosts.find(e.hostId()).orElseThrow();
        String parent = v.image().parent();
        String knownParent = parent != null && imageRows.state(parent).isPresent() ? parent : null;
        ImageRegistration r = ManifestRegistration.of(e, v, host.cpuFlags(), knownParent);
        long prepared = System.nanoTime();
        var done = tx.execute(s -> {
            var registered = images.register(r);
            if (registered.outcome() == ImageService.Outcome.CREATED && r.process().pid() != null) {
                jobs.setPidIfMissing(registered.image().jobId(), r.process().pid());
            }
            snapshots.completed(e.requestId(), e.hostId(), e.imageId());
            return registered;
        });
        long end = System.nanoTime();
        log.debug("Image {}: manifest, tables and index read and verified in {} ms; {} chunks registered in {} ms"
                        + " (host, parent and chunk references {} ms, transaction {} ms)", e.imageId(),
                (verified - t0) / 1_000_000, r.chunks().size(), (end - verified) / 1_000_000, (prepared - verified) / 1_000_000,
                (end - prepared) / 1_000_000);
        return done;
    }
}
