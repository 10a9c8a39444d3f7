// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.job.Job;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.outbox.Outbox;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Schedule changes; each one also goes to the outbox (topic {@link #TOPIC}, keyed by host) so that
 * the capture agent of that host picks up the new timetable.
 */
@Service
public class ScheduleService {

    public static final String TOPIC = "cryostash.schedule.changed";
    private final ScheduleRepository schedules;
    private final JobRepository jobs;
    private final Outbox outbox;
    private final AuditLog audit;

    public ScheduleService(ScheduleRepository schedules, JobRepository jobs, Outbox outbox, AuditLog audit) {
        this.schedules = schedules;
        this.jobs = jobs;
        this.outbox = outbox;
        this.audit = audit;
    }

    public record ScheduleInput(long jobId, int intervalSeconds, String afterCapture, boolean enabled) {
    }

    @Transactional
    public Schedule create(ScheduleInput in) {
        Job job = jobs.find(in.jobId()).orElseThrow(() -> new InvalidRequestException("jobId: no job " + in.jobId()));
        long id = schedules.insert(job.id(), in.intervalSeconds(), in.afterCapture(), in.enabled(), Actor.current().name());
        Schedule s = schedules.find(id).orElseThrow();
        announce("schedule.created", s);
        return s;
    }

    @Transactional
    public Schedule update(long id, ScheduleInput in) {
        Schedule before = schedules.find(id).orElseThrow(() -> new NotFoundException("schedule", String.valueOf(id)));
        if (before.jobId() != in.jobId()) throw new InvalidRequestException("jobId: a schedule cannot move to another job");
        schedules.update(id, in.intervalSeconds(), in.afterCapture(), in.enabled());
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
        Map<String, Object> d = Map.of("scheduleId", s.id(), "jobId", s.jobId(), "job", s.job(), "hostId", s.hostId(),
                "intervalSeconds", s.intervalSeconds(), "afterCapture", s.afterCapture(), "enabled", s.enabled());
        outbox.append(TOPIC, s.hostId(), action, d);
        audit.record(action, "schedule", String.valueOf(s.id()), d);
    }
}
