// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.cryostash.daemon.catalog.CatalogException;
import io.cryostash.daemon.catalog.CatalogLink;
import io.cryostash.daemon.kafka.Reporter;
import io.cryostash.daemon.kafka.RequestHandler;
import io.cryostash.daemon.kafka.RequestRefusedException;
import io.cryostash.daemon.kafka.RetryLaterException;
import io.cryostash.daemon.state.RequestLedger;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;
import io.cryostash.schema.event.EventCodec;
import io.cryostash.schema.event.RestoreCancelled;
import io.cryostash.schema.event.RestoreRequested;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.store.SignedManifest;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.backend.ObjectNotFoundException;
import io.cryostash.store.image.ImageIntegrityException;
import io.cryostash.store.image.ImageNotFoundException;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.sign.ManifestCodec;

/**
 * restore.requested (and restore.cancelled) for this host. The event is only a pointer and this agent
 * is root, so before building anything it asks the catalog, with its own agent token, whether the
 * request exists, names this host and this image and is still to do; it trusts the image's signer
 * only as the key the catalog holds for the capturing host (or a key configured on this machine);
 * the store then checks the signature and every chunk as it reads. RUNNING is reported before the
 * husk starts and COMPLETED (pid) or FAILED (reason) after. The ledger marks the request started
 * before anything is built, so a second delivery, even after a crash mid-restore, never restores twice.
 */
public final class RestoreHandler implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(RestoreHandler.class);

    private final String hostId;
    private final ImageStore images;
    private final Restorer restorer;
    private final CatalogLink catalog;
    private final RequestLedger ledger;
    private final Reporter reporter;
    private final Path logDir;
    private final EventCodec codec = new EventCodec();

    /** @param catalog null when the agent runs without a catalog: requests are then taken as they come */
    public RestoreHandler(String hostId, ImageStore images, CatalogLink catalog, RequestLedger ledger, Reporter reporter,
                          Path logDir) {
        this.hostId = hostId;
        this.images = images;
        this.restorer = new Restorer(images);
        this.catalog = catalog;
        this.ledger = ledger;
        this.reporter = reporter;
        this.logDir = logDir;
    }

    @Override
    public void handle(String type, byte[] value) {
        if (RestoreCancelled.TYPE.equals(type)) {
            RestoreCancelled c = codec.decode(value, RestoreCancelled.class);
            if (ledger.get(c.restoreRequestId()).state() == RequestLedger.State.NEW) {
                ledger.cancelled(c.restoreRequestId());
                log.info("restore request {} cancelled before it started", c.restoreRequestId());
            }
            return;
        }
        RestoreRequested req = codec.decode(value, RestoreRequested.class);
        UUID id = req.restoreRequestId();
        if (!hostId.equals(req.targetHostId())) {
            throw new RequestRefusedException("restore request " + id + " is for host " + req.targetHostId()
                    + " but was keyed to " + hostId);
        }
        RequestLedger.Entry seen = ledger.get(id);
        switch (seen.state()) {
            case DONE, CANCELLED -> {
                log.info("restore request {} already handled ({} {}); not restoring again", id, seen.state(), seen.outcome());
                return;
            }
            case STARTED -> {
                // the agent stopped mid-restore: the kernel killed the half-built process (PTRACE_O_EXITKILL)
                fail(id, "the agent on " + hostId + " stopped during this restore; nothing was left running. Ask again.");
                return;
            }
            case NEW -> {
            }
        }
        long t0 = System.nanoTime();
        if (!confirmed(req)) return;
        long confirmedAt = System.nanoTime();
        trustSigner(req);
        long trustedAt = System.nanoTime();
        // The store refreshes its index when the image names chunks another host stored since it was loaded.
        ledger.started(id);
        reporter.report(reporter.messages().status(status(id, "RUNNING", null, null)));
        long runningAt = System.nanoTime();
        RestoreResult r;
        try {
            r = restorer.restore(req.imageId(), new RestoreOptions(false, logDir));
        } catch (RestoreException | ImageIntegrityException | ImageNotFoundException | IllegalArgumentException e) {
            fail(id, e.getMessage());
            return;
        } catch (RuntimeException e) {
            // before the husk (reading the image from the store): nothing was built, so it may run again
            ledger.reset(id);
            throw e;
        }
        long restoredAt = System.nanoTime();
        reporter.report(reporter.messages().status(status(id, "COMPLETED", r.pid(), null)));
        ledger.done(id, "pid " + r.pid());
        long end = System.nanoTime();
        // One line per restore with where its time went (bench/RESULTS.md, "Pipeline latency", reads these).
        log.info("restored image {} as pid {} for request {} in {} ms (confirm {} ms, signer {} ms, RUNNING spooled {} ms,"
                        + " restore {} ms, COMPLETED spooled {} ms); restore phases (ms): {}", req.imageId(), r.pid(), id,
                ms(end - t0), ms(confirmedAt - t0), ms(trustedAt - confirmedAt), ms(runningAt - trustedAt),
                ms(restoredAt - runningAt), ms(end - restoredAt), r.phases().format());
    }

    private static long ms(long nanos) {
        return Math.round(nanos / 1e6);
    }

    /** Whether to go on: the catalog's request must exist, match, and still be to do. */
    private boolean confirmed(RestoreRequested req) {
        if (catalog == null) return true;
        JsonNode r;
        try {
            r = catalog.restoreRequest(req.restoreRequestId());
        } catch (CatalogException e) {
            if (e.status() == 404) {
                throw new RequestRefusedException("the catalog does not know restore request " + req.restoreRequestId()
                        + "; a message nobody asked for is not acted on");
            }
            if (e.transientFailure() || e.status() == 401) {
                throw new RetryLaterException("cannot confirm restore request " + req.restoreRequestId()
                        + " with the catalog: " + e.getMessage(), e);
            }
            throw e;
        }
        String state = r.path("state").asText("");
        if (!req.imageId().equals(r.path("imageId").asText()) || !hostId.equals(r.path("targetHostId").asText())) {
            throw new RequestRefusedException("restore request " + req.restoreRequestId() + " says image " + req.imageId()
                    + " on " + req.targetHostId() + ", the catalog says image " + r.path("imageId").asText() + " on "
                    + r.path("targetHostId").asText());
        }
        switch (state) {
            case "CANCELLED" -> {
                ledger.cancelled(req.restoreRequestId());
                log.info("restore request {} was cancelled in the catalog", req.restoreRequestId());
                return false;
            }
            case "COMPLETED", "FAILED" -> {
                ledger.done(req.restoreRequestId(), "already " + state + " in the catalog");
                return false;
            }
            default -> {
                return true;
            }
        }
    }

    /**
     * Trusts the image's signer if the catalog says it is the key the capturing host enrolled (the
     * host the manifest names). Keys configured on this machine stay trusted as they are.
     */
    private void trustSigner(RestoreRequested req) {
        if (catalog == null) return;
        SignedManifest manifest;
        try {
            byte[] bytes = images.repository().chunks().backend().get(StoreFormat.MANIFESTS + req.imageId());
            manifest = ManifestCodec.parse(req.imageId(), bytes);
        } catch (ObjectNotFoundException e) {
            return; // the restore names it missing
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest of image " + req.imageId() + ": " + e.getMessage(), e);
        }
        try {
            CatalogLink.EnrolledKey enrolled = catalog.enrolledKey(manifest.host());
            if (enrolled.matches(manifest.signerKey())) {
                images.repository().trust(KeyFactory.getInstance("Ed25519")
                        .generatePublic(new X509EncodedKeySpec(manifest.signerKey())));
            } else {
                log.warn("image {} is signed by a key that is not the one host {} enrolled; only keys configured on this"
                        + " machine can vouch for it", req.imageId(), manifest.host());
            }
        } catch (CatalogException e) {
            if (e.transientFailure()) {
                throw new RetryLaterException("cannot ask the catalog for host " + manifest.host() + "'s key: " + e.getMessage(), e);
            }
            log.warn("the catalog gives no key for host {} ({}); trusting only the keys configured on this machine",
                    manifest.host(), e.getMessage());
        } catch (GeneralSecurityException e) {
            log.warn("image {}: signer key unreadable: {}", req.imageId(), e.getMessage());
        }
    }

    private RestoreStatus status(UUID id, String state, Integer pid, String error) {
        return new RestoreStatus(RestoreStatus.VERSION, id, hostId, state, pid, error, Instant.now());
    }

    private void fail(UUID id, String reason) {
        reporter.report(reporter.messages().status(status(id, "FAILED", null, reason)));
        ledger.done(id, "failed: " + reason);
        log.warn("restore request {} failed: {}", id, reason);
    }

    @Override
    public void gaveUp(String type, byte[] value, String reason) {
        if (RestoreCancelled.TYPE.equals(type)) return;
        RestoreRequested req = codec.decode(value, RestoreRequested.class);
        if (ledger.get(req.restoreRequestId()).state() != RequestLedger.State.DONE) {
            fail(req.restoreRequestId(), "gave up after retries: " + reason);
        }
    }
}
