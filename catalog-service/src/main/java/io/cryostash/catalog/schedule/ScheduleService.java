// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.job.Job;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Schedule changes (audited). The catalog runs schedules itself ({@link ScheduleRunner}): agents get
 * one snapshot.requested per due run, not the timetable.
 */
@Service
public class ScheduleService {

    private final ScheduleRepository schedules;
    private final JobRepository jobs;
    private final AuditLog audit;

    public ScheduleService(ScheduleRepository schedules, JobRepository jobs, AuditLog audit) {
        this.schedules = schedules;
        this.jobs = jobs;
        this.audit = audit;
    }

    /** A timetable: {@code intervalSeconds} or {@code cron}, exactly one. */
    public record ScheduleInput(long jobId, Integer intervalSeconds, String cron, String afterCapture, boolean enabled) {
        public ScheduleInput {
            if (cron != null && cron.isBlank()) cron = null;
            if (cron != null) cron = cron.trim();
        }

        public ScheduleInput(long jobId, int intervalSeconds, String afterCapture, boolean enabled) {
            this(jobId, intervalSeconds, null, afterCapture, enabled);
        }
    }

    private static void check(ScheduleInput in) {
        List<String> problems = ScheduleTimes.problems(in.intervalSeconds(), in.cron());
        if (!problems.isEmpty()) throw new InvalidRequestException(problems);
    }

    @Transactional
    public Schedule create(ScheduleInput in) {
        check(in);
        Job job = jobs.find(in.jobId()).orElseThrow(() -> new InvalidRequestException("jobId: no job " + in.jobId()));
        if (job.gone() && in.enabled()) throw new ConflictException("Job " + job.name() + " is GONE: its process no longer exists");
        Instant next = ScheduleTimes.next(in.intervalSeconds(), in.cron(), null, Instant.now());
        long id = schedules.insert(job.id(), in.intervalSeconds(), in.cron(), in.afterCapture(), in.enabled(),
                Actor.current().name(), next);
        Schedule s = schedules.find(id).orElseThrow();
        announce("schedule.created", s);
        return s;
    }

    @Transactional
    public Schedule update(long id, ScheduleInput in) {
        check(in);
        Schedule before = schedules.find(id).orElseThrow(() -> new NotFoundException("schedule", String.valueOf(id)));
        if (before.jobId() != in.jobId()) throw new InvalidRequestException("jobId: a schedule cannot move to another job");
        if ("GONE".equals(before.jobState()) && in.enabled()) {
            throw new ConflictException("Job " + before.job() + " is GONE: its process no longer exists");
        }
        Instant next = ScheduleTimes.next(in.intervalSeconds(), in.cron(), before.lastRunAt(), Instant.now());
        schedules.update(id, in.intervalSeconds(), in.cron(), in.afterCapture(), in.enabled(), next);
        Schedule s = schedules.find(id).orElseThrow();
        announce("schedule.updated", s);
        return s;
    }

    @Transactional
    public void delete(long id) {
        Schedule s = schedules.find(id).orElseThrow(() -> new NotFoundException("schedule", String.valueOf(id)));
        schedules.delete(id);
        announce("schedule.deleted", s);
    }

    private void announce(String action, Schedule s) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("scheduleId", s.id());
        d.put("jobId", s.jobId());
        d.put("job", s.job());
        d.put("hostId", s.hostId());
        if (s.intervalSeconds() != null) d.put("intervalSeconds", s.intervalSeconds());
        if (s.cron() != null) d.put("cron", s.cron());
        d.put("afterCapture", s.afterCapture());
        d.put("enabled", s.enabled());
        audit.record(action, "schedule", String.valueOf(s.id()), d);
    }
}
