// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

@Repository
public class GcRunRepository {

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public GcRunRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    long start(String by, boolean dryRun) {
        return jdbc.sql("INSERT INTO gc_runs (requested_by, dry_run, state) VALUES (?, ?, 'RUNNING') RETURNING id")
                .params(by, dryRun).query(Long.class).single();
    }

    void finish(long id, int manifestsDeleted, long bytesFreed, Map<String, Object> report) {
        jdbc.sql("""
                        UPDATE gc_runs SET state = 'SUCCEEDED', finished_at = now(), manifests_deleted = ?, bytes_freed = ?,
                               report = ?::jsonb WHERE id = ?""")
                .params(manifestsDeleted, bytesFreed, json.writeValueAsString(report), id).update();
    }

    void fail(long id, int manifestsDeleted, String error) {
        jdbc.sql("UPDATE gc_runs SET state = 'FAILED', finished_at = now(), manifests_deleted = ?, error = ? WHERE id = ?")
                .params(manifestsDeleted, error, id).update();
    }

    public Optional<GcRun> find(long id) {
        return jdbc.sql("SELECT * FROM gc_runs WHERE id = ?").param(id).query(this::map).optional();
    }

    public List<GcRun> recent(int n) {
        return jdbc.sql("SELECT * FROM gc_runs ORDER BY started_at DESC, id DESC LIMIT ?").param(n).query(this::map).list();
    }

    /** Stored bytes the store gave back, per day, over the last {@code days} (real runs only). */
    public List<Object[]> freedPerDay(int days) {
        return jdbc.sql("""
                        SELECT date_trunc('day', started_at), sum(bytes_freed) FROM gc_runs
                        WHERE NOT dry_run AND state = 'SUCCEEDED' AND started_at > now() - make_interval(days => ?)
                        GROUP BY 1 ORDER BY 1""")
                .param(days).query((rs, i) -> new Object[] {rs.getTimestamp(1).toInstant(), rs.getLong(2)}).list();
    }

    private GcRun map(ResultSet rs, int i) throws SQLException {
        Timestamp fin = rs.getTimestamp("finished_at");
        return new GcRun(rs.getLong("id"), rs.getString("requested_by"), rs.getBoolean("dry_run"), rs.getString("state"),
                rs.getTimestamp("started_at").toInstant(), fin == null ? null : fin.toInstant(),
                rs.getInt("manifests_deleted"), rs.getLong("bytes_freed"),
                json.readValue(rs.getString("report"), new TypeReference<Map<String, Object>>() {
                }), rs.getString("error"));
    }
}
