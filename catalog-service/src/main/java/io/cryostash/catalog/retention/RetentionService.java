// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.pack.PackRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

@Service
public class RetentionService {

    private final RetentionRepository policies;
    private final JobRepository jobs;
    private final AuditLog audit;
    private final JdbcClient jdbc;
    private final PackRepository packs;

    public RetentionService(RetentionRepository policies, JobRepository jobs, AuditLog audit, JdbcClient jdbc,
                            PackRepository packs) {
        this.packs = packs;
        this.policies = policies;
        this.jobs = jobs;
        this.audit = audit;
        this.jdbc = jdbc;
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

    /** What applying a policy did (or, for a dry run, would do). */
    public record Outcome(long policyId, boolean dryRun, List<String> kept, List<String> expired) {
    }

    /**
     * Applies a policy: to its job, or, for the default policy, to every job without an enabled
     * policy of its own. Images it does not keep (and that no kept image descends from) become
     * EXPIRED, each with an audit entry, in one transaction.
     */
    @Transactional
    public Outcome apply(long id, boolean dryRun) {
        RetentionPolicy p = policies.find(id).orElseThrow(() -> new NotFoundException("retention policy", String.valueOf(id)));
        List<Long> jobIds = p.jobId() != null ? List.of(p.jobId()) : jdbc.sql("""
                        SELECT j.id FROM jobs j WHERE NOT EXISTS (
                            SELECT 1 FROM retention_policies r WHERE r.job_id = j.id AND r.enabled)""")
                .query(Long.class).list();
        List<String> kept = new ArrayList<>();
        List<String> expired = new ArrayList<>();
        for (long jobId : jobIds) {
            List<RetentionPlanner.Candidate> images = jdbc.sql("""
                            SELECT id, captured_at, parent_id FROM images WHERE job_id = ? AND state = 'COMPLETE' FOR UPDATE""")
                    .param(jobId)
                    .query((rs, i) -> new RetentionPlanner.Candidate(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getString(3)))
                    .list();
            var plan = RetentionPlanner.plan(images, p.keepLast(), p.keepHourly(), p.keepDaily(), p.keepWeekly());
            kept.addAll(plan.keep());
            expired.addAll(plan.expire());
        }
        if (!dryRun) {
            for (String image : expired) {
                jdbc.sql("UPDATE images SET state = 'EXPIRED', state_changed_at = now() WHERE id = ?").param(image).update();
                audit.record("image.expired", "image", image, Map.of("policy", p.name()));
            }
            // Queued for PackLiveBytesWorker, which takes the packs' live bytes of the expired images off.
            packs.imagesChanged(expired, -1);
            audit.record("retention.applied", "retention-policy", String.valueOf(id),
                    Map.of("kept", kept.size(), "expired", expired.size()));
        }
        return new Outcome(id, dryRun, kept, expired);
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
