// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.job;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

@Repository
public class JobRepository {

    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {
    };
    private final JdbcClient jdbc;
    private final JsonMapper json;

    public JobRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Labels as the jobs table stores them (jsonb). */
    public String labelsJson(Map<String, String> labels) {
        return json.writeValueAsString(labels == null ? Map.of() : labels);
    }

    public long insert(String hostId, String name, Integer pid, String commandPattern, Map<String, String> labels) {
        return insert(hostId, name, pid, null, commandPattern, labels);
    }

    public long insert(String hostId, String name, Integer pid, Long processStart, String commandPattern,
                       Map<String, String> labels) {
        return jdbc.sql("""
                        INSERT INTO jobs (host_id, name, pid, process_start, command_pattern, labels) VALUES (?, ?, ?, ?, ?, ?::jsonb)
                        RETURNING id""")
                .params(hostId, name, pid, processStart, commandPattern, json.writeValueAsString(labels == null ? Map.of() : labels))
                .query(Long.class).single();
    }

    /** Locks the job's row (a state change, or a request that must not race with one). */
    public Optional<Job> findForUpdate(long id) {
        return jdbc.sql("SELECT * FROM jobs WHERE id = ? FOR UPDATE").param(id).query(this::map).optional();
    }

    /** Marks an ACTIVE job GONE; returns whether it was ACTIVE. */
    public boolean markGone(long id, String reason) {
        return jdbc.sql("UPDATE jobs SET state = 'GONE', gone_at = now(), gone_reason = ? WHERE id = ? AND state = 'ACTIVE'")
                .params(reason, id).update() == 1;
    }

    /** A job named at capture has no pid until its first image says which process it is. */
    public void setPidIfMissing(long id, int pid) {
        jdbc.sql("UPDATE jobs SET pid = ? WHERE id = ? AND pid IS NULL").params(pid, id).update();
    }

    /** The job's newest COMPLETE image on its host: what the next snapshot is incremental to. */
    public Optional<String> lastCompleteImage(long jobId, String hostId) {
        return jdbc.sql("""
                        SELECT id FROM images WHERE job_id = ? AND host_id = ? AND state = 'COMPLETE'
                        ORDER BY captured_at DESC, id DESC LIMIT 1""")
                .params(jobId, hostId).query(String.class).optional();
    }

    public Optional<Job> find(long id) {
        return jdbc.sql("SELECT * FROM jobs WHERE id = ?").param(id).query(this::map).optional();
    }

    public List<Job> findAll() {
        return jdbc.sql("SELECT * FROM jobs ORDER BY host_id, name").query(this::map).list();
    }

    public List<Job> findByHost(String hostId) {
        return jdbc.sql("SELECT * FROM jobs WHERE host_id = ? ORDER BY name").param(hostId).query(this::map).list();
    }

    Job map(ResultSet rs, int i) throws SQLException {
        int pid = rs.getInt("pid");
        return new Job(rs.getLong("id"), rs.getString("host_id"), rs.getString("name"), rs.wasNull() ? null : pid,
                rs.getString("command_pattern"), json.readValue(rs.getString("labels"), LABELS),
                rs.getTimestamp("created_at").toInstant(), rs.getString("state"), longOrNull(rs, "process_start"),
                rs.getTimestamp("gone_at") == null ? null : rs.getTimestamp("gone_at").toInstant(), rs.getString("gone_reason"));
    }

    private static Long longOrNull(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }
}
