// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
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
            SELECT s.*, j.name AS job_name, j.host_id FROM schedules s JOIN jobs j ON j.id = s.job_id""";

    public List<Schedule> findAll() {
        return jdbc.sql(SELECT + " ORDER BY j.host_id, j.name, s.id").query(ScheduleRepository::map).list();
    }

    public Optional<Schedule> find(long id) {
        return jdbc.sql(SELECT + " WHERE s.id = ?").param(id).query(ScheduleRepository::map).optional();
    }

    public long insert(long jobId, int intervalSeconds, String afterCapture, boolean enabled, String createdBy) {
        return jdbc.sql("""
                        INSERT INTO schedules (job_id, interval_seconds, after_capture, enabled, created_by, next_run_at)
                        VALUES (?, ?, ?, ?, ?, now() + make_interval(secs => ?)) RETURNING id""")
                .params(jobId, intervalSeconds, afterCapture, enabled, createdBy, intervalSeconds)
                .query(Long.class).single();
    }

    public int update(long id, int intervalSeconds, String afterCapture, boolean enabled) {
        return jdbc.sql("""
                        UPDATE schedules SET interval_seconds = ?, after_capture = ?, enabled = ?, updated_at = now(),
                               next_run_at = coalesce(last_run_at, now()) + make_interval(secs => ?)
                        WHERE id = ?""")
                .params(intervalSeconds, afterCapture, enabled, intervalSeconds, id).update();
    }

    public int delete(long id) {
        return jdbc.sql("DELETE FROM schedules WHERE id = ?").param(id).update();
    }

    static Schedule map(ResultSet rs, int i) throws SQLException {
        return new Schedule(rs.getLong("id"), rs.getLong("job_id"), rs.getString("job_name"), rs.getString("host_id"),
                rs.getInt("interval_seconds"), rs.getString("after_capture"), rs.getBoolean("enabled"),
                instant(rs.getTimestamp("last_run_at")), instant(rs.getTimestamp("next_run_at")),
                rs.getString("created_by"), instant(rs.getTimestamp("created_at")), instant(rs.getTimestamp("updated_at")));
    }

    static java.time.Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
