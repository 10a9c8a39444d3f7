// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
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

    public long insert(RetentionService.PolicyInput p, String createdBy) {
        return jdbc.sql("""
                        INSERT INTO retention_policies (name, job_id, keep_last, keep_hourly, keep_daily, keep_weekly, enabled, created_by)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""")
                .params(p.name(), p.jobId(), p.keepLast(), p.keepHourly(), p.keepDaily(), p.keepWeekly(), p.enabled(), createdBy)
                .query(Long.class).single();
    }

    public int update(long id, RetentionService.PolicyInput p) {
        return jdbc.sql("""
                        UPDATE retention_policies SET name = ?, job_id = ?, keep_last = ?, keep_hourly = ?, keep_daily = ?,
                               keep_weekly = ?, enabled = ?, updated_at = now() WHERE id = ?""")
                .params(p.name(), p.jobId(), p.keepLast(), p.keepHourly(), p.keepDaily(), p.keepWeekly(), p.enabled(), id)
                .update();
    }

    public int delete(long id) {
        return jdbc.sql("DELETE FROM retention_policies WHERE id = ?").param(id).update();
    }

    static RetentionPolicy map(ResultSet rs, int i) throws SQLException {
        long job = rs.getLong("job_id");
        Long jobId = rs.wasNull() ? null : job;
        return new RetentionPolicy(rs.getLong("id"), rs.getString("name"), jobId, rs.getString("job_name"),
                rs.getInt("keep_last"), rs.getInt("keep_hourly"), rs.getInt("keep_daily"), rs.getInt("keep_weekly"),
                rs.getBoolean("enabled"), rs.getString("created_by"), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }
}
