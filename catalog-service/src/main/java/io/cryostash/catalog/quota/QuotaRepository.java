// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.quota;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Quotas and stored-byte usage. Usage counts each chunk once per job (or host): the stored bytes of
 * the distinct chunks that the job's UPLOADING or COMPLETE images name, so a job pays for what it
 * keeps stored, whichever of its images uploaded it, and stops paying once its images that name a
 * chunk are expired (a chunk shared with another job counts for both).
 */
@Repository
public class QuotaRepository {

    private final JdbcClient jdbc;

    public QuotaRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private static final String SELECT = """
            SELECT q.*, j.name AS job_name, coalesce(q.host_id, j.host_id) AS subject_host FROM quotas q
            LEFT JOIN jobs j ON j.id = q.job_id""";

    public List<Quota> findAll() {
        List<Quota> raw = jdbc.sql(SELECT + " ORDER BY subject_host, q.job_id NULLS FIRST").query((rs, i) -> map(rs, 0)).list();
        return raw.stream().map(q -> withUsage(q)).toList();
    }

    public Optional<Quota> forJob(long jobId) {
        return jdbc.sql(SELECT + " WHERE q.job_id = ?").param(jobId).query((rs, i) -> map(rs, 0)).optional().map(this::withUsage);
    }

    public Optional<Quota> forHost(String hostId) {
        return jdbc.sql(SELECT + " WHERE q.host_id = ?").param(hostId).query((rs, i) -> map(rs, 0)).optional().map(this::withUsage);
    }

    private Quota withUsage(Quota q) {
        long used = q.jobId() != null ? jobUsage(q.jobId()) : hostUsage(q.hostId());
        return new Quota(q.id(), q.jobId(), q.job(), q.hostId(), q.limitBytes(), used, q.updatedBy(), q.updatedAt());
    }

    void upsertJob(long jobId, long limit, String by) {
        upsert("job_id", jobId, limit, by);
    }

    void upsertHost(String hostId, long limit, String by) {
        upsert("host_id", hostId, limit, by);
    }

    /** {@code column}: job_id or host_id, never a caller's text. */
    private void upsert(String column, Object subject, long limit, String by) {
        jdbc.sql("""
                        INSERT INTO quotas (%1$s, limit_bytes, updated_by) VALUES (?, ?, ?)
                        ON CONFLICT (%1$s) DO UPDATE SET limit_bytes = excluded.limit_bytes, updated_by = excluded.updated_by,
                                                       updated_at = now()""".formatted(column))
                .params(subject, limit, by).update();
    }

    int deleteJob(long jobId) {
        return jdbc.sql("DELETE FROM quotas WHERE job_id = ?").param(jobId).update();
    }

    int deleteHost(String hostId) {
        return jdbc.sql("DELETE FROM quotas WHERE host_id = ?").param(hostId).update();
    }

    public long jobUsage(long jobId) {
        return usage("job_id", jobId);
    }

    public long hostUsage(String hostId) {
        return usage("host_id", hostId);
    }

    /**
     * Stored bytes of the distinct chunks the subject's live images name, from their chunk lists (so a
     * just-registered image counts at once). {@code column}: the images' job_id or host_id, never a caller's text.
     */
    private long usage(String column, Object subject) {
        return jdbc.sql("""
                        SELECT coalesce(sum(c.stored_bytes), 0) FROM chunks c WHERE c.key IN (
                            SELECT unnest(l.keys) FROM image_chunk_lists l JOIN images i ON i.id = l.image_id
                            WHERE i.%s = ? AND i.state IN ('UPLOADING', 'COMPLETE'))""".formatted(column))
                .param(subject).query(Long.class).single();
    }

    /** A usage sample, for the chart. */
    public record Sample(Instant at, long storedBytes) {
    }

    void sample(Long jobId, String hostId, long bytes) {
        jdbc.sql("INSERT INTO storage_usage (job_id, host_id, stored_bytes) VALUES (?, ?, ?)").params(jobId, hostId, bytes).update();
    }

    public List<Sample> samples(Long jobId, String hostId, int days) {
        return jdbc.sql("""
                        SELECT at, stored_bytes FROM storage_usage
                        WHERE (job_id = ? OR host_id = ?) AND at > now() - make_interval(days => ?) ORDER BY at""")
                .params(jobId, hostId, days)
                .query((rs, i) -> new Sample(rs.getTimestamp(1).toInstant(), rs.getLong(2))).list();
    }

    private static Quota map(ResultSet rs, int i) throws SQLException {
        long job = rs.getLong("job_id");
        Long jobId = rs.wasNull() ? null : job;
        return new Quota(rs.getLong("id"), jobId, rs.getString("job_name"), rs.getString("subject_host"),
                rs.getLong("limit_bytes"), 0, rs.getString("updated_by"), rs.getTimestamp("updated_at").toInstant());
    }
}
