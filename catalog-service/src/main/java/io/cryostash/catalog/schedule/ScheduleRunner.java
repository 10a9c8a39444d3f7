// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import io.cryostash.catalog.job.Job;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.snapshot.SnapshotRepository;
import io.cryostash.catalog.snapshot.SnapshotService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Runs due schedules: each due run writes one snapshot.requested to the outbox (with the job's pid,
 * its process start time when known and its last COMPLETE image on that host as the parent), in one
 * transaction per schedule. A run asks nothing, and says why in the schedule's {@code last_error},
 * while the previous request of the schedule is unanswered and younger than
 * {@code cryostash.catalog.snapshot-request-timeout} (default 10 minutes; an agent that is away
 * then gets one request when it is back, not a backlog), or when the job has no pid. A GONE job's
 * schedule is switched off.
 */
@Component
public class ScheduleRunner {

    private static final Logger log = LoggerFactory.getLogger(ScheduleRunner.class);
    /** Schedules handled per check at most, so one check cannot run for ever. */
    private static final int MAX_PER_CHECK = 200;

    private final ScheduleRepository schedules;
    private final JobRepository jobs;
    private final SnapshotRepository requests;
    private final SnapshotService snapshots;
    private final TransactionTemplate tx;
    private final Duration requestTimeout;

    public ScheduleRunner(ScheduleRepository schedules, JobRepository jobs, SnapshotRepository requests,
                          SnapshotService snapshots, PlatformTransactionManager transactions,
                          @Value("${cryostash.catalog.snapshot-request-timeout:10m}") Duration requestTimeout) {
        this.schedules = schedules;
        this.jobs = jobs;
        this.requests = requests;
        this.snapshots = snapshots;
        this.tx = new TransactionTemplate(transactions);
        this.requestTimeout = requestTimeout;
    }

    @Scheduled(fixedDelayString = "${cryostash.catalog.schedule-check-delay:1000}")
    public void runDue() {
        try {
            for (int i = 0; i < MAX_PER_CHECK; i++) {
                if (!Boolean.TRUE.equals(tx.execute(s -> runOne()))) return;
            }
        } catch (RuntimeException e) {
            log.warn("Running due schedules failed, will try again: {}", e.toString());
        }
    }

    /** Handles the schedule due longest; false when none is due. */
    boolean runOne() {
        Optional<Schedule> due = schedules.nextDueForUpdate();
        if (due.isEmpty()) return false;
        Schedule s = due.get();
        Instant now = Instant.now();
        Instant next = ScheduleTimes.next(s.intervalSeconds(), s.cron(), s.nextRunAt(), now);
        Job job = jobs.find(s.jobId()).orElseThrow();
        if (job.gone()) {
            schedules.disableForJob(job.id(), "stopped: the job's process is gone");
            return true;
        }
        String refused = SnapshotService.refusal(job);
        if (refused != null) {
            schedules.ran(s.id(), next, null, refused);
            return true;
        }
        requests.timeOut(s.id(), requestTimeout);
        Optional<UUID> open = requests.openRequest(s.id(), requestTimeout);
        if (open.isPresent()) {
            schedules.ran(s.id(), next, null, "skipped: snapshot request " + open.get() + " is not answered yet");
            return true;
        }
        snapshots.request(job.id(), s.id(), "schedule:" + s.id(), "KILL".equals(s.afterCapture()));
        schedules.ran(s.id(), next, now, null);
        return true;
    }
}
