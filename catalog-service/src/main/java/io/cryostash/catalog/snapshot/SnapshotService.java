// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.snapshot;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.event.EventRefusedException;
import io.cryostash.catalog.job.Job;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.outbox.Outbox;
import io.cryostash.catalog.restore.ErrorText;
import io.cryostash.catalog.schedule.ScheduleRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.schema.event.CheckpointFailed;
import io.cryostash.schema.event.SnapshotRequested;
import io.cryostash.schema.event.Topics;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Snapshot requests: asking a job's host to capture it (a schedule or a person), and the agent's
 * answers. A request is a row and a snapshot.requested in the outbox, committed together; the answer
 * (checkpoint.completed or checkpoint.failed with the same request id) moves the row once, so a
 * repeated answer changes nothing.
 */
@Service
public class SnapshotService {

    private final JobRepository jobs;
    private final SnapshotRepository requests;
    private final ScheduleRepository schedules;
    private final Outbox outbox;
    private final AuditLog audit;

    public SnapshotService(JobRepository jobs, SnapshotRepository requests, ScheduleRepository schedules, Outbox outbox,
                           AuditLog audit) {
        this.jobs = jobs;
        this.requests = requests;
        this.schedules = schedules;
        this.outbox = outbox;
        this.audit = audit;
    }

    /** Why a snapshot of this job cannot be asked for now, or null when it can. */
    public static String refusal(Job job) {
        if (job.gone()) {
            return "Job " + job.name() + " is GONE: its process no longer exists"
                    + (job.goneReason() == null ? "" : " (" + job.goneReason() + ")");
        }
        if (job.pid() == null) {
            return "Job " + job.name() + " has no pid yet: give it one, or capture it once with checkpoint --job";
        }
        return null;
    }

    /**
     * Asks the job's host for a snapshot, incremental to the job's last COMPLETE image on that host;
     * returns the request id.
     *
     * @param scheduleId the schedule that asks, or null for a person ({@code requestedBy})
     */
    @Transactional
    public UUID request(long jobId, Long scheduleId, String requestedBy, boolean kill) {
        Job job = jobs.findForUpdate(jobId).orElseThrow(() -> new NotFoundException("job", String.valueOf(jobId)));
        String refused = refusal(job);
        if (refused != null) {
            if (job.gone()) throw new ConflictException(refused);
            throw new InvalidRequestException(refused);
        }
        String parent = jobs.lastCompleteImage(job.id(), job.hostId()).orElse(null);
        UUID id = UUID.randomUUID();
        Instant now = Instant.now();
        requests.insert(id, job.id(), scheduleId, job.hostId(), requestedBy, now);
        outbox.append(Topics.SNAPSHOT_REQUESTED, job.hostId(), SnapshotRequested.TYPE,
                new SnapshotRequested(SnapshotRequested.VERSION, id, job.hostId(), job.id(), job.name(), job.pid(),
                        job.processStart(), parent, kill, scheduleId, requestedBy, now));
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("request", id.toString());
        d.put("host", job.hostId());
        d.put("pid", job.pid());
        if (parent != null) d.put("parent", parent);
        if (scheduleId != null) d.put("schedule", scheduleId);
        if (kill) d.put("kill", true);
        // A schedule's request is the catalog's own act (the runner has no caller to name).
        Actor actor = scheduleId != null ? new Actor(requestedBy, "SYSTEM", null) : Actor.current();
        audit.recordAs(actor, "snapshot.requested", "job", String.valueOf(job.id()), d);
        return id;
    }

    /**
     * A checkpoint.completed answered request {@code requestId}: links it to the image, in the
     * registration's transaction. A request of another host or an unknown one is left alone.
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void completed(UUID requestId, String hostId, String imageId) {
        if (requestId == null) return;
        requests.findForUpdate(requestId)
                .filter(r -> r.hostId().equals(hostId))
                .ifPresent(r -> requests.finish(requestId, "COMPLETED", imageId, null));
    }

    /**
     * The agent of {@code e.hostId()} (already authenticated) could not capture. With processGone the
     * job becomes GONE and its schedules stop: nothing asks for a process that is not there.
     */
    @Transactional
    public void failed(CheckpointFailed e) {
        Job job = jobs.findForUpdate(e.jobId())
                .orElseThrow(() -> new EventRefusedException("checkpoint.failed names job " + e.jobId() + ", which does not exist"));
        if (!job.hostId().equals(e.hostId())) {
            throw new EventRefusedException("checkpoint.failed from host " + e.hostId() + " names job " + job.id()
                    + " of host " + job.hostId());
        }
        String reason = ErrorText.keep(e.reason());
        var request = requests.findForUpdate(e.requestId());
        if (request.isPresent() && !request.get().hostId().equals(e.hostId())) {
            throw new EventRefusedException("checkpoint.failed from host " + e.hostId() + " answers request " + e.requestId()
                    + " of host " + request.get().hostId());
        }
        boolean answered = request.isPresent() && requests.finish(e.requestId(), "FAILED", null, reason);
        if (answered) {
            audit.record("snapshot.failed", "job", String.valueOf(job.id()),
                    Map.of("request", e.requestId().toString(), "reason", reason, "processGone", e.processGone()));
        }
        if (e.processGone() && jobs.markGone(job.id(), reason)) {
            int stopped = schedules.disableForJob(job.id(), "stopped: the job's process is gone");
            audit.record("job.gone", "job", String.valueOf(job.id()),
                    Map.of("reason", reason, "schedulesStopped", stopped, "request", e.requestId().toString()));
        }
    }
}
