// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.job.Job;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.pack.PackRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Retention policies and applying them. Which policy applies to a job: its own enabled policy, else
 * the enabled default policy, else none (every image is kept). Applying expires, job by job (one
 * transaction each, the job's images locked), the COMPLETE images its policy does not keep; pinned
 * images are never expired. Expired images' manifests leave the store afterwards
 * ({@code ManifestDeletion}) and garbage collection frees their chunks.
 */
@Service
public class RetentionService {

    private final RetentionRepository policies;
    private final JobRepository jobs;
    private final AuditLog audit;
    private final JdbcClient jdbc;
    private final PackRepository packs;
    private final TransactionTemplate tx;
    private final Clock clock;

    public RetentionService(RetentionRepository policies, JobRepository jobs, AuditLog audit, JdbcClient jdbc,
                            PackRepository packs, PlatformTransactionManager txManager) {
        this.packs = packs;
        this.policies = policies;
        this.jobs = jobs;
        this.audit = audit;
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(txManager);
        this.clock = Clock.systemUTC();
    }

    public record PolicyInput(String name, Long jobId, RetentionRules rules, boolean enabled) {
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
        RetentionPolicy before = policies.find(id).orElseThrow(() -> new NotFoundException("retention policy", String.valueOf(id)));
        try {
            policies.update(id, p);
        } catch (DuplicateKeyException e) {
            throw new ConflictException("A policy with this name, or for this job, exists");
        }
        Map<String, Object> d = describe(p);
        d.put("before", before.describe() + (before.enabled() ? "" : " (disabled)"));
        audit.record("retention.updated", "retention-policy", String.valueOf(id), d);
        return policies.find(id).orElseThrow();
    }

    @Transactional
    public void delete(long id) {
        RetentionPolicy p = policies.find(id).orElseThrow(() -> new NotFoundException("retention policy", String.valueOf(id)));
        policies.delete(id);
        audit.record("retention.deleted", "retention-policy", String.valueOf(id),
                Map.of("name", p.name(), "rules", p.describe()));
    }

    /** A job's policy as it applies: its own, the default, or none ({@code source} says which). */
    public record Effective(long jobId, String job, String hostId, String source, RetentionPolicy policy) {
    }

    public Effective effective(long jobId) {
        Job job = jobs.find(jobId).orElseThrow(() -> new NotFoundException("job", String.valueOf(jobId)));
        Optional<RetentionPolicy> own = policies.forJob(jobId).filter(RetentionPolicy::enabled);
        if (own.isPresent()) return new Effective(jobId, job.name(), job.hostId(), "job", own.get());
        Optional<RetentionPolicy> def = policies.defaultPolicy().filter(RetentionPolicy::enabled);
        return def.map(p -> new Effective(jobId, job.name(), job.hostId(), "default", p))
                .orElseGet(() -> new Effective(jobId, job.name(), job.hostId(), "none", null));
    }

    /** Sets the job's own policy (creating it, named after the job, or replacing its rules) and enables it. */
    @Transactional
    public RetentionPolicy setForJob(long jobId, RetentionRules rules) {
        Job job = jobs.find(jobId).orElseThrow(() -> new NotFoundException("job", String.valueOf(jobId)));
        Optional<RetentionPolicy> own = policies.forJob(jobId);
        if (own.isPresent()) return update(own.get().id(), new PolicyInput(own.get().name(), jobId, rules, true));
        String name = ("job " + job.name() + " on " + job.hostId());
        if (name.length() > 100) name = name.substring(0, 90) + " #" + jobId;
        return create(new PolicyInput(name, jobId, rules, true));
    }

    /** Removes the job's own policy: the default applies again. */
    @Transactional
    public void clearForJob(long jobId) {
        RetentionPolicy own = policies.forJob(jobId)
                .orElseThrow(() -> new NotFoundException("retention policy of job", String.valueOf(jobId)));
        delete(own.id());
    }

    /** An image a run expired (or would), with the stored bytes no other live image names. */
    public record Expired(String id, Instant capturedAt, long ownBytes) {
    }

    /** One job's plan: what its policy keeps (and why) and what it expires. */
    public record JobOutcome(long jobId, String job, String hostId, Long policyId, String policy, String rules,
                             List<RetentionPlanner.Kept> kept, List<Expired> expired) {
    }

    /**
     * What applying did (or, for a dry run, would do). {@code freedBytes}: stored bytes of the chunks
     * that the expired images name and no image left live names, counted once (what garbage
     * collection gives back, before pack overheads); {@code freedChunks} their number.
     */
    public record Outcome(boolean dryRun, List<JobOutcome> jobs, int kept, int expired, long freedBytes,
                          long freedChunks) {
    }

    /** Applies one policy: to its job, or, for the default policy, to every job without an enabled policy of its own. */
    public Outcome apply(long policyId, boolean dryRun) {
        RetentionPolicy p = policies.find(policyId)
                .orElseThrow(() -> new NotFoundException("retention policy", String.valueOf(policyId)));
        List<Long> jobIds = p.jobId() != null ? List.of(p.jobId()) : jdbc.sql("""
                        SELECT j.id FROM jobs j WHERE NOT EXISTS (
                            SELECT 1 FROM retention_policies r WHERE r.job_id = j.id AND r.enabled) ORDER BY j.id""")
                .query(Long.class).list();
        return run(jobIds, id -> p, dryRun, Actor.current(), "policy " + p.name());
    }

    /** Applies the policy of one job (its own or the default). */
    public Outcome forgetJob(long jobId, boolean dryRun) {
        Effective e = effective(jobId);
        if (e.policy() == null) {
            throw new InvalidRequestException("job " + e.job() + " on " + e.hostId()
                    + ": no retention policy applies (set one for the job, or a default policy)");
        }
        return run(List.of(jobId), id -> e.policy(), dryRun, Actor.current(), "job " + e.job());
    }

    /** Applies every job's policy (what the schedule runs). Jobs no policy applies to keep everything. */
    public Outcome applyAll(boolean dryRun, Actor actor) {
        return run(policies.allJobIds(), id -> effectivePolicy(id), dryRun, actor, "all jobs");
    }

    private RetentionPolicy effectivePolicy(long jobId) {
        return policies.forJob(jobId).filter(RetentionPolicy::enabled)
                .or(() -> policies.defaultPolicy().filter(RetentionPolicy::enabled)).orElse(null);
    }

    private Outcome run(List<Long> jobIds, java.util.function.LongFunction<RetentionPolicy> policyOf, boolean dryRun,
                        Actor actor, String scope) {
        Instant now = clock.instant();
        // Plan everything first, unlocked, to count the bytes the whole run frees (chunks shared by
        // images of two jobs count once); each job is then planned again under its lock and expired.
        List<JobOutcome> planned = new ArrayList<>();
        List<String> allExpired = new ArrayList<>();
        for (long jobId : jobIds) {
            RetentionPolicy p = policyOf.apply(jobId);
            if (p == null) continue;
            JobOutcome o = plan(jobId, p, now, false, Map.of());
            planned.add(o);
            o.expired().forEach(x -> allExpired.add(x.id()));
        }
        long[] freed = policies.bytesOnlyHeldBy(allExpired);
        Map<String, Long> own = policies.bytesOnlyInEach(allExpired);
        if (dryRun) {
            List<JobOutcome> withBytes = planned.stream().map(o -> withOwnBytes(o, own)).toList();
            return outcome(true, withBytes, freed);
        }
        List<JobOutcome> done = new ArrayList<>();
        for (JobOutcome o : planned) {
            RetentionPolicy p = policyOf.apply(o.jobId());
            if (p == null) continue;
            done.add(tx.execute(s -> {
                JobOutcome locked = plan(o.jobId(), p, now, true, own);
                for (Expired x : locked.expired()) {
                    jdbc.sql("UPDATE images SET state = 'EXPIRED', state_changed_at = now() WHERE id = ? AND state = 'COMPLETE'")
                            .param(x.id()).update();
                    audit.recordAs(actor, "image.expired", "image", x.id(), Map.of("policy", p.name(), "job", o.job()));
                }
                // Queued for PackLiveBytesWorker, which takes the packs' live bytes of the expired images off.
                packs.imagesChanged(locked.expired().stream().map(Expired::id).toList(), -1);
                return locked;
            }));
        }
        Outcome out = outcome(false, done, freed);
        tx.executeWithoutResult(s -> audit.recordAs(actor, "retention.applied", "retention", scope,
                Map.of("jobs", out.jobs().size(), "kept", out.kept(), "expired", out.expired(),
                        "freedBytes", out.freedBytes())));
        return out;
    }

    private JobOutcome plan(long jobId, RetentionPolicy p, Instant now, boolean lock, Map<String, Long> own) {
        Job job = jobs.find(jobId).orElseThrow(() -> new NotFoundException("job", String.valueOf(jobId)));
        var candidates = policies.candidatesForUpdate(jobId, lock);
        var plan = RetentionPlanner.plan(candidates, p.rules(), now);
        Map<String, Instant> at = new LinkedHashMap<>();
        candidates.forEach(c -> at.put(c.id(), c.capturedAt()));
        List<Expired> expired = plan.expire().stream().map(id -> new Expired(id, at.get(id), own.getOrDefault(id, 0L))).toList();
        return new JobOutcome(jobId, job.name(), job.hostId(), p.id(), p.name(), p.describe(), plan.keep(), expired);
    }

    private static JobOutcome withOwnBytes(JobOutcome o, Map<String, Long> own) {
        return new JobOutcome(o.jobId(), o.job(), o.hostId(), o.policyId(), o.policy(), o.rules(), o.kept(),
                o.expired().stream().map(x -> new Expired(x.id(), x.capturedAt(), own.getOrDefault(x.id(), 0L))).toList());
    }

    private static Outcome outcome(boolean dryRun, List<JobOutcome> jobs, long[] freed) {
        int kept = jobs.stream().mapToInt(j -> j.kept().size()).sum();
        int expired = jobs.stream().mapToInt(j -> j.expired().size()).sum();
        return new Outcome(dryRun, jobs, kept, expired, freed[0], freed[1]);
    }

    private void check(PolicyInput p) {
        List<String> problems = new ArrayList<>();
        if (p.name() == null || p.name().isBlank() || p.name().length() > 100) problems.add("name: 1 to 100 characters");
        if (p.jobId() != null && jobs.find(p.jobId()).isEmpty()) problems.add("jobId: no job " + p.jobId());
        problems.addAll(p.rules().problems());
        if (!problems.isEmpty()) throw new InvalidRequestException(problems);
    }

    private static Map<String, Object> describe(PolicyInput p) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", p.name());
        if (p.jobId() != null) d.put("jobId", p.jobId());
        d.put("rules", p.rules().describe());
        d.put("enabled", p.enabled());
        return d;
    }
}
