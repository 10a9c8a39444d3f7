// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class ScheduleRepository {

    private final JdbcClient jdbc;

    public ScheduleRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private static final String SELECT = """
            SELECT s.*, j.name AS job_name, j.host_id, j.state AS job_state FROM schedules s JOIN jobs j ON j.id = s.job_id""";

    public List<Schedule> findAll() {
        return jdbc.sql(SELECT + " ORDER BY j.host_id, j.name, s.id").query(ScheduleRepository::map).list();
    }

    public Optional<Schedule> find(long id) {
        return jdbc.sql(SELECT + " WHERE s.id = ?").param(id).query(ScheduleRepository::map).optional();
    }

    public List<Schedule> forJob(long jobId) {
        return jdbc.sql(SELECT + " WHERE s.job_id = ? ORDER BY s.id").param(jobId).query(ScheduleRepository::map).list();
    }

    /**
     * The enabled schedule that has been due longest, locked; several catalog instances (or runner
     * threads) each take another one (SKIP LOCKED).
     */
    public Optional<Schedule> nextDueForUpdate() {
        return jdbc.sql(SELECT + """
                         WHERE s.enabled AND s.next_run_at <= now()
                        ORDER BY s.next_run_at, s.id LIMIT 1 FOR UPDATE OF s SKIP LOCKED""")
                .query(ScheduleRepository::map).optional();
    }

    public long insert(long jobId, Integer intervalSeconds, String cron, String afterCapture, boolean enabled,
                       String createdBy, Instant nextRunAt) {
        return jdbc.sql("""
                        INSERT INTO schedules (job_id, interval_seconds, cron, after_capture, enabled, created_by, next_run_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id""")
                .params(jobId, intervalSeconds, cron, afterCapture, enabled, createdBy, ts(nextRunAt))
                .query(Long.class).single();
    }

    public int update(long id, Integer intervalSeconds, String cron, String afterCapture, boolean enabled, Instant nextRunAt) {
        return jdbc.sql("""
                        UPDATE schedules SET interval_seconds = ?, cron = ?, after_capture = ?, enabled = ?, updated_at = now(),
                               next_run_at = ?, last_error = CASE WHEN ? THEN NULL ELSE last_error END
                        WHERE id = ?""")
                .params(intervalSeconds, cron, afterCapture, enabled, ts(nextRunAt), enabled, id).update();
    }

    /** Records a due run: when it next runs, whether it asked ({@code ranAt}, else null) and why not. */
    public void ran(long id, Instant nextRunAt, Instant ranAt, String error) {
        jdbc.sql("""
                        UPDATE schedules SET next_run_at = ?, last_run_at = coalesce(?, last_run_at), last_error = ?
                        WHERE id = ?""")
                .params(ts(nextRunAt), ts(ranAt), error, id).update();
    }

    /** Stops every enabled schedule of a job, saying why; returns how many. */
    public int disableForJob(long jobId, String why) {
        return jdbc.sql("UPDATE schedules SET enabled = false, last_error = ?, updated_at = now() WHERE job_id = ? AND enabled")
                .params(why, jobId).update();
    }

    public int delete(long id) {
        return jdbc.sql("DELETE FROM schedules WHERE id = ?").param(id).update();
    }

    static Schedule map(ResultSet rs, int i) throws SQLException {
        int interval = rs.getInt("interval_seconds");
        Integer intervalSeconds = rs.wasNull() ? null : interval;
        return new Schedule(rs.getLong("id"), rs.getLong("job_id"), rs.getString("job_name"), rs.getString("host_id"),
                intervalSeconds, rs.getString("cron"), rs.getString("after_capture"), rs.getBoolean("enabled"),
                instant(rs.getTimestamp("last_run_at")), instant(rs.getTimestamp("next_run_at")),
                rs.getString("created_by"), instant(rs.getTimestamp("created_at")), instant(rs.getTimestamp("updated_at")),
                rs.getString("job_state"), rs.getString("last_error"));
    }

    static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static Timestamp ts(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }
}
