// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.quota;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.job.Job;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Quotas: setting, raising and removing them (administrators; audited with the limit before and
 * after), and the check a capture makes before it freezes anything ({@link #check}).
 */
@Service
public class QuotaService {

    private final QuotaRepository quotas;
    private final JobRepository jobs;
    private final HostRepository hosts;
    private final AuditLog audit;

    public QuotaService(QuotaRepository quotas, JobRepository jobs, HostRepository hosts, AuditLog audit) {
        this.quotas = quotas;
        this.jobs = jobs;
        this.hosts = hosts;
        this.audit = audit;
    }

    @Transactional
    public Quota setForJob(long jobId, long limitBytes) {
        check(limitBytes);
        Job job = jobs.find(jobId).orElseThrow(() -> new NotFoundException("job", String.valueOf(jobId)));
        Optional<Quota> before = quotas.forJob(jobId);
        quotas.upsertJob(jobId, limitBytes, Actor.current().name());
        audit.record("quota.set", "job", String.valueOf(jobId), details(before, limitBytes, "job " + job.name() + " on " + job.hostId()));
        return quotas.forJob(jobId).orElseThrow();
    }

    @Transactional
    public Quota setForHost(String hostId, long limitBytes) {
        check(limitBytes);
        if (!hosts.exists(hostId)) throw new NotFoundException("host", hostId);
        Optional<Quota> before = quotas.forHost(hostId);
        quotas.upsertHost(hostId, limitBytes, Actor.current().name());
        audit.record("quota.set", "host", hostId, details(before, limitBytes, "host " + hostId));
        return quotas.forHost(hostId).orElseThrow();
    }

    @Transactional
    public void clearJob(long jobId) {
        Quota q = quotas.forJob(jobId).orElseThrow(() -> new NotFoundException("quota of job", String.valueOf(jobId)));
        quotas.deleteJob(jobId);
        audit.record("quota.removed", "job", String.valueOf(jobId), Map.of("limitBytes", q.limitBytes()));
    }

    @Transactional
    public void clearHost(String hostId) {
        Quota q = quotas.forHost(hostId).orElseThrow(() -> new NotFoundException("quota of host", hostId));
        quotas.deleteHost(hostId);
        audit.record("quota.removed", "host", hostId, Map.of("limitBytes", q.limitBytes()));
    }

    /**
     * What a capture of {@code job} on {@code hostId} may still upload: the smaller headroom of the
     * job's and the host's quota ({@code remainingBytes}, {@code Long.MAX_VALUE} without quotas).
     * {@code allowed} is false when either is already used up: then the capture must not start, and
     * {@code message} says which quota, how full, and what to do.
     */
    public record Check(boolean allowed, long remainingBytes, String message, Quota job, Quota host) {
    }

    public Check check(String hostId, String jobName) {
        Quota job = hostId == null || jobName == null ? null
                : jobs.findByHost(hostId).stream().filter(j -> j.name().equals(jobName)).findFirst()
                        .flatMap(j -> quotas.forJob(j.id())).orElse(null);
        Quota host = hostId == null ? null : quotas.forHost(hostId).orElse(null);
        long remaining = Long.MAX_VALUE;
        String message = null;
        for (Quota q : new Quota[] {job, host}) {
            if (q == null) continue;
            long left = q.limitBytes() - q.usedBytes();
            if (left < remaining) remaining = left;
            if (left <= 0 && message == null) {
                message = "the quota of " + q.subject() + " is used up: " + q.usedBytes() + " of " + q.limitBytes()
                        + " bytes stored; an administrator can raise it (cryostash quota set), or forget old images";
            }
        }
        return new Check(message == null, Math.max(0, remaining), message, job, host);
    }

    private static void check(long limitBytes) {
        if (limitBytes <= 0) throw new InvalidRequestException("limitBytes: must be above 0, not " + limitBytes);
    }

    private static Map<String, Object> details(Optional<Quota> before, long limit, String subject) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("subject", subject);
        before.ifPresent(b -> d.put("limitBytesBefore", b.limitBytes()));
        d.put("limitBytes", limit);
        return d;
    }
}
