// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class RetentionRepository {

    private final JdbcClient jdbc;

    public RetentionRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private static final String SELECT = """
            SELECT p.*, j.name AS job_name FROM retention_policies p LEFT JOIN jobs j ON j.id = p.job_id""";

    public List<RetentionPolicy> findAll() {
        return jdbc.sql(SELECT + " ORDER BY p.job_id NULLS FIRST, p.name").query(RetentionRepository::map).list();
    }

    public Optional<RetentionPolicy> find(long id) {
        return jdbc.sql(SELECT + " WHERE p.id = ?").param(id).query(RetentionRepository::map).optional();
    }

    /** The job's own policy (enabled or not). */
    public Optional<RetentionPolicy> forJob(long jobId) {
        return jdbc.sql(SELECT + " WHERE p.job_id = ?").param(jobId).query(RetentionRepository::map).optional();
    }

    /** The default policy (for jobs without one), enabled or not. */
    public Optional<RetentionPolicy> defaultPolicy() {
        return jdbc.sql(SELECT + " WHERE p.job_id IS NULL").query(RetentionRepository::map).optional();
    }

    public long insert(RetentionService.PolicyInput p, String createdBy) {
        RetentionRules r = p.rules();
        return jdbc.sql("""
                        INSERT INTO retention_policies (name, job_id, keep_last, keep_hourly, keep_daily, keep_weekly,
                                                        keep_monthly, keep_yearly, keep_within, enabled, created_by)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""")
                .params(p.name(), p.jobId(), r.keepLast(), r.keepHourly(), r.keepDaily(), r.keepWeekly(), r.keepMonthly(),
                        r.keepYearly(), within(r), p.enabled(), createdBy)
                .query(Long.class).single();
    }

    public int update(long id, RetentionService.PolicyInput p) {
        RetentionRules r = p.rules();
        return jdbc.sql("""
                        UPDATE retention_policies SET name = ?, job_id = ?, keep_last = ?, keep_hourly = ?, keep_daily = ?,
                               keep_weekly = ?, keep_monthly = ?, keep_yearly = ?, keep_within = ?, enabled = ?,
                               updated_at = now()
                        WHERE id = ?""")
                .params(p.name(), p.jobId(), r.keepLast(), r.keepHourly(), r.keepDaily(), r.keepWeekly(), r.keepMonthly(),
                        r.keepYearly(), within(r), p.enabled(), id)
                .update();
    }

    public int delete(long id) {
        return jdbc.sql("DELETE FROM retention_policies WHERE id = ?").param(id).update();
    }

    /** Ids of every job (to which the default policy applies when it has none of its own). */
    public List<Long> allJobIds() {
        return jdbc.sql("SELECT id FROM jobs ORDER BY id").query(Long.class).list();
    }

    /** The job's COMPLETE images, locked until the transaction ends (so that a pin or a deletion waits for us). */
    public List<RetentionPlanner.Candidate> candidatesForUpdate(long jobId, boolean lock) {
        return jdbc.sql("SELECT id, captured_at, pinned_at IS NOT NULL FROM images WHERE job_id = ? AND state = 'COMPLETE'"
                        + (lock ? " FOR UPDATE" : ""))
                .param(jobId)
                .query((rs, i) -> new RetentionPlanner.Candidate(rs.getString(1), rs.getTimestamp(2).toInstant(), rs.getBoolean(3)))
                .list();
    }

    /**
     * Links of live images registered but not yet in the reverse index {@code image_chunks} (their
     * lists wait for PackLiveBytesWorker, seconds): a few images, read once per statement.
     */
    static final String PENDING_LIVE_LINKS = """
            pending_links AS MATERIALIZED (
                SELECT p.image_id, k.key FROM image_links_pending p JOIN images i ON i.id = p.image_id
                JOIN image_chunk_lists l ON l.image_id = p.image_id CROSS JOIN LATERAL unnest(l.keys) AS k(key)
                WHERE i.state IN ('UPLOADING', 'COMPLETE'))""";

    /**
     * The links of the images {@code ?} (a text[]): from the reverse index, plus the lists of those not
     * in it yet. The index, not the lists, for the ones it holds: the planner knows its size (it does
     * not know how long an unnested list is, and picks nested loops that probe each key).
     */
    static final String LINKS_OF = """
            (SELECT ic.image_id, ic.chunk_key AS key FROM image_chunks ic WHERE ic.image_id = ANY (?::text[])
             UNION ALL
             SELECT p.image_id, k.key FROM image_links_pending p JOIN image_chunk_lists l ON l.image_id = p.image_id
             CROSS JOIN LATERAL unnest(l.keys) AS k(key) WHERE p.image_id = ANY (?::text[]))""";

    /**
     * Stored bytes and count of the chunks that {@code expiring} name and that no other live
     * (UPLOADING or COMPLETE) image names: what the store gives back once these images are expired
     * and collected (before pack overheads and the repack threshold). Links come from the reverse
     * index and from the lists of images not yet in it.
     */
    public long[] bytesOnlyHeldBy(Collection<String> expiring) {
        if (expiring.isEmpty()) return new long[] {0, 0};
        String[] ids = expiring.toArray(String[]::new);
        return jdbc.sql("WITH " + PENDING_LIVE_LINKS + """
                        SELECT coalesce(sum(c.stored_bytes), 0), count(*) FROM chunks c
                        WHERE c.key IN (SELECT m.key FROM""" + " " + LINKS_OF + """
                         m)
                          AND NOT EXISTS (SELECT 1 FROM image_chunks o JOIN images i ON i.id = o.image_id
                                          WHERE o.chunk_key = c.key AND i.state IN ('UPLOADING', 'COMPLETE')
                                            AND NOT (o.image_id = ANY (?)))
                          AND NOT EXISTS (SELECT 1 FROM pending_links pl WHERE pl.key = c.key AND NOT (pl.image_id = ANY (?)))""")
                .params(ids, ids, ids, ids)
                .query((rs, i) -> new long[] {rs.getLong(1), rs.getLong(2)}).single();
    }

    /** Per image: stored bytes of the chunks no other live image names (an image's own share). */
    public Map<String, Long> bytesOnlyInEach(Collection<String> images) {
        Map<String, Long> out = new HashMap<>();
        if (images.isEmpty()) return out;
        String[] ids = images.toArray(String[]::new);
        jdbc.sql("WITH " + PENDING_LIVE_LINKS + """
                        SELECT m.image_id, coalesce(sum(c.stored_bytes), 0) FROM""" + " " + LINKS_OF + """
                         m
                        JOIN chunks c ON c.key = m.key
                        WHERE NOT EXISTS (SELECT 1 FROM image_chunks o JOIN images i ON i.id = o.image_id
                                          WHERE o.chunk_key = m.key AND o.image_id <> m.image_id
                                            AND i.state IN ('UPLOADING', 'COMPLETE'))
                          AND NOT EXISTS (SELECT 1 FROM pending_links pl WHERE pl.key = m.key AND pl.image_id <> m.image_id)
                        GROUP BY m.image_id""")
                .params(ids, ids)
                .query((rs, i) -> out.put(rs.getString(1), rs.getLong(2))).list();
        return out;
    }

    private static String within(RetentionRules r) {
        return r.keepWithin() == null || r.keepWithin().isZero() ? null : r.keepWithin().toString();
    }

    static RetentionPolicy map(ResultSet rs, int i) throws SQLException {
        long job = rs.getLong("job_id");
        Long jobId = rs.wasNull() ? null : job;
        return new RetentionPolicy(rs.getLong("id"), rs.getString("name"), jobId, rs.getString("job_name"),
                rs.getInt("keep_last"), rs.getInt("keep_hourly"), rs.getInt("keep_daily"), rs.getInt("keep_weekly"),
                rs.getInt("keep_monthly"), rs.getInt("keep_yearly"), rs.getString("keep_within"),
                rs.getBoolean("enabled"), rs.getString("created_by"), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }
}
