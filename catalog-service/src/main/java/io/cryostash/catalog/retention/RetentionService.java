package io.cryostash.catalog.retention;

import java.util.LinkedHashMap;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class RetentionService {

    private final RetentionRepository policies;
    private final JobRepository jobs;
    private final AuditLog audit;

    public RetentionService(RetentionRepository policies, JobRepository jobs, AuditLog audit) {
        this.policies = policies;
        this.jobs = jobs;
        this.audit = audit;
    }

    public record PolicyInput(String name, Long jobId, int keepLast, int keepHourly, int keepDaily, int keepWeekly,
                              boolean enabled) {
    }

    @Transactional
    public RetentionPolicy create(PolicyInput p) {
        check(p);
        long id;
        try {
            id = policies.insert(p, Actor.current().name());
        } catch (DuplicateKeyException e) {
            throw new ConflictException("A policy with this name, or for this job, exists");
        }
        audit.record("retention.created", "retention-policy", String.valueOf(id), describe(p));
        return policies.find(id).orElseThrow();
    }

    @Transactional
    public RetentionPolicy update(long id, PolicyInput p) {
        check(p);
        try {
            if (policies.update(id, p) == 0) throw new NotFoundException("retention policy", String.valueOf(id));
        } catch (DuplicateKeyException e) {
            throw new ConflictException("A policy with this name, or for this job, exists");
        }
        audit.record("retention.updated", "retention-policy", String.valueOf(id), describe(p));
        return policies.find(id).orElseThrow();
    }

    @Transactional
    public void delete(long id) {
        RetentionPolicy p = policies.find(id).orElseThrow(() -> new NotFoundException("retention policy", String.valueOf(id)));
        policies.delete(id);
        audit.record("retention.deleted", "retention-policy", String.valueOf(id), Map.of("name", p.name()));
    }

    private void check(PolicyInput p) {
        if (p.jobId() != null && jobs.find(p.jobId()).isEmpty()) throw new InvalidRequestException("jobId: no job " + p.jobId());
        if (p.keepLast() + p.keepHourly() + p.keepDaily() + p.keepWeekly() == 0) {
            throw new InvalidRequestException("keepLast, keepHourly, keepDaily, keepWeekly: at least one must be above 0 (a policy must keep something)");
        }
    }

    private static Map<String, Object> describe(PolicyInput p) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", p.name());
        if (p.jobId() != null) d.put("jobId", p.jobId());
        d.put("keepLast", p.keepLast());
        d.put("keepHourly", p.keepHourly());
        d.put("keepDaily", p.keepDaily());
        d.put("keepWeekly", p.keepWeekly());
        d.put("enabled", p.enabled());
        return d;
    }
}
