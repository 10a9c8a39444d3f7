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
        return jdbc.sql("""
                        INSERT INTO jobs (host_id, name, pid, command_pattern, labels) VALUES (?, ?, ?, ?, ?::jsonb)
                        RETURNING id""")
                .params(hostId, name, pid, commandPattern, json.writeValueAsString(labels == null ? Map.of() : labels))
                .query(Long.class).single();
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
                rs.getTimestamp("created_at").toInstant());
    }
}
