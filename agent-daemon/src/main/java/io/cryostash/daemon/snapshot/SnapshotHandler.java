// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.snapshot;

import io.cryostash.agent.proc.NoSuchProcessException;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.capture.CaptureException;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.daemon.kafka.Reporter;
import io.cryostash.daemon.kafka.RequestHandler;
import io.cryostash.daemon.state.RequestLedger;
import io.cryostash.schema.event.EventCodec;
import io.cryostash.schema.event.SnapshotRequested;
import io.cryostash.store.image.ImageIntegrityException;
import io.cryostash.store.image.ImageNotFoundException;
import io.cryostash.store.image.ImageStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * snapshot.requested for this host: check the process is still the job's (same pid and start time),
 * capture it — incremental against the request's parent image when write tracking allows, always
 * leaving a tracker for the next one — and report checkpoint.completed, or checkpoint.failed (with
 * {@code processGone} when the process no longer exists or its pid now names another process).
 * A request already done is not captured again.
 */
public final class SnapshotHandler implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(SnapshotHandler.class);

    private final String hostId;
    private final ImageStore images;
    private final Capturer capturer;
    private final RequestLedger ledger;
    private final Reporter reporter;
    private final EventCodec codec = new EventCodec();

    private final java.util.function.Function<String, io.cryostash.store.repository.Repository.UploadLimit> quota;

    public SnapshotHandler(String hostId, ImageStore images, Capturer capturer, RequestLedger ledger, Reporter reporter) {
        this(hostId, images, capturer, ledger, reporter, job -> null);
    }

    /**
     * @param quota what a capture of a job may upload ({@link io.cryostash.daemon.catalog.QuotaGate}); null for no
     *              limit; throws {@link io.cryostash.daemon.catalog.QuotaGate.QuotaRefusedException} when a quota is
     *              used up
     */
    public SnapshotHandler(String hostId, ImageStore images, Capturer capturer, RequestLedger ledger, Reporter reporter,
                           java.util.function.Function<String, io.cryostash.store.repository.Repository.UploadLimit> quota) {
        this.hostId = hostId;
        this.images = images;
        this.capturer = capturer;
        this.ledger = ledger;
        this.reporter = reporter;
        this.quota = quota;
    }

    @Override
    public void handle(String type, byte[] value) {
        SnapshotRequested req = codec.decode(value, SnapshotRequested.class);
        RequestLedger.Entry seen = ledger.get(req.requestId());
        if (seen.state() == RequestLedger.State.DONE) {
            log.info("snapshot request {} was already done ({}); not capturing again", req.requestId(), seen.outcome());
            return;
        }
        String gone = whyGone(req.pid(), req.processStart());
        if (gone != null) {
            fail(req, gone, true);
            return;
        }
        io.cryostash.store.repository.Repository.UploadLimit limit;
        try {
            limit = quota.apply(req.job());
        } catch (io.cryostash.daemon.catalog.QuotaGate.QuotaRefusedException e) {
            fail(req, e.getMessage(), false); // the process was not touched
            return;
        }
        // a capture cut short by a crash left nothing behind (the kernel detached the process): do it again
        long t0 = System.nanoTime();
        ledger.started(req.requestId());
        long storedBefore = images.repository().chunks().stats().compressedBytes();
        CaptureResult r;
        try (AutoCloseable scope = limit == null ? () -> { } : images.repository().limitUploads(limit)) {
            r = capture(req);
        } catch (CaptureException e) {
            String goneNow = whyGone(req.pid(), req.processStart());
            fail(req, goneNow != null ? goneNow + " (" + e.getMessage() + ")" : e.getMessage(), goneNow != null);
            return;
        } catch (Exception e) {
            var over = io.cryostash.daemon.catalog.QuotaGate.cause(e);
            if (over == null) throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
            fail(req, over.getMessage(), false); // stopped before going over; the process runs on
            return;
        }
        long captured = System.nanoTime();
        long stored = images.repository().chunks().stats().compressedBytes() - storedBefore;
        reporter.report(reporter.messages().completed(CheckpointEvents.completed(req.requestId(), hostId, req.job(), r, stored)));
        ledger.done(req.requestId(), "image " + r.image().id());
        long end = System.nanoTime();
        // One line per snapshot with where its time went (bench/RESULTS.md, "Pipeline latency", reads these).
        log.info("snapshot of job {} (pid {}) for request {}: image {} ({}) in {} ms (capture {} ms of which pre-copy {} ms"
                        + " and frozen {} ms, completed spooled {} ms); freeze phases (ms): {}", req.job(), req.pid(), req.requestId(),
                r.image().id(), r.image().tracking(), ms(end - t0), ms(r.totalNanos()),
                ms(r.phases() == null ? 0 : r.phases().preCopyNanos()), ms(r.freezeNanos()), ms(end - captured),
                r.phases() == null ? "not measured" : r.phases().format());
    }

    private static long ms(long nanos) {
        return Math.round(nanos / 1e6);
    }

    /**
     * Incremental against the request's parent; in full when this store cannot read the parent (the
     * capturer reads it before it touches the process, so nothing was frozen or written).
     */
    private CaptureResult capture(SnapshotRequested req) {
        String parent = req.parentImageId();
        if (parent != null) {
            try {
                return capturer.capture(req.pid(), new CaptureOptions(req.kill(), parent, true, false));
            } catch (ImageNotFoundException | ImageIntegrityException e) {
                log.warn("parent image {} of job {} cannot be used ({}); capturing in full", parent, req.job(), e.getMessage());
            }
        }
        return capturer.capture(req.pid(), new CaptureOptions(req.kill(), null, true, false));
    }

    /** Why the request's process is not there any more, or null when it is. */
    static String whyGone(int pid, Long processStart) {
        ProcStat stat;
        try {
            stat = ProcStat.read(pid);
        } catch (NoSuchProcessException | java.io.UncheckedIOException e) {
            return "process " + pid + " is gone";
        }
        if (stat.state() == 'Z' || stat.state() == 'X') return "process " + pid + " has exited";
        if (processStart != null && stat.startTime() != processStart) {
            return "pid " + pid + " now belongs to another process (" + stat.comm() + ", started at tick " + stat.startTime()
                    + ", not " + processStart + ")";
        }
        return null;
    }

    private void fail(SnapshotRequested req, String reason, boolean processGone) {
        reporter.report(reporter.messages().failed(CheckpointEvents.failed(req.requestId(), hostId, req.jobId(), reason,
                processGone)));
        ledger.done(req.requestId(), "failed: " + reason);
        log.warn("snapshot request {} for job {} failed{}: {}", req.requestId(), req.job(), processGone ? " (process gone)" : "",
                reason);
    }

    @Override
    public void gaveUp(String type, byte[] value, String reason) {
        SnapshotRequested req = codec.decode(value, SnapshotRequested.class);
        fail(req, "gave up after retries: " + reason, false);
    }
}
