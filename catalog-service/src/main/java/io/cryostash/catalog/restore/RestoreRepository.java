// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.restore;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.cryostash.catalog.system.Page;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class RestoreRepository {

    private final JdbcClient jdbc;

    public RestoreRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private static final String SELECT = """
            SELECT r.*, h.name AS host_name, j.name AS job_name
            FROM restore_requests r JOIN hosts h ON h.id = r.target_host_id
            JOIN images i ON i.id = r.image_id JOIN jobs j ON j.id = i.job_id""";

    public RestoreRequest insert(String imageId, String hostId, String requestedBy) {
        UUID id = jdbc.sql("""
                        INSERT INTO restore_requests (image_id, target_host_id, requested_by, state)
                        VALUES (?, ?, ?, 'REQUESTED') RETURNING id""")
                .params(imageId, hostId, requestedBy).query(UUID.class).single();
        return find(id).orElseThrow();
    }

    public Optional<RestoreRequest> find(UUID id) {
        return jdbc.sql(SELECT + " WHERE r.id = ?").param(id).query(RestoreRepository::map).optional();
    }

    /** Locks the request row for a state change. */
    public Optional<RestoreRequest> findForUpdate(UUID id) {
        return jdbc.sql(SELECT + " WHERE r.id = ? FOR UPDATE OF r").param(id).query(RestoreRepository::map).optional();
    }

    public Page<RestoreRequest> find(String hostId, String imageId, RestoreState state, int page, int size) {
        List<Object> args = new ArrayList<>();
        StringBuilder w = new StringBuilder(" WHERE true");
        if (hostId != null && !hostId.isBlank()) { w.append(" AND r.target_host_id = ?"); args.add(hostId); }
        if (imageId != null && !imageId.isBlank()) { w.append(" AND r.image_id = ?"); args.add(imageId); }
        if (state != null) { w.append(" AND r.state = ?"); args.add(state.name()); }
        long total = jdbc.sql("SELECT count(*) FROM restore_requests r" + w).params(args).query(Long.class).single();
        List<Object> pageArgs = new ArrayList<>(args);
        pageArgs.add(size);
        pageArgs.add((long) page * size);
        var items = jdbc.sql(SELECT + w + " ORDER BY r.requested_at DESC, r.id LIMIT ? OFFSET ?")
                .params(pageArgs).query(RestoreRepository::map).list();
        return new Page<>(items, page, size, total);
    }

    public void updateState(UUID id, RestoreState state, String error, Integer pid) {
        jdbc.sql("""
                        UPDATE restore_requests SET state = ?, error = coalesce(?, error), restored_pid = coalesce(?, restored_pid),
                               started_at = CASE WHEN ? = 'RUNNING' THEN coalesce(started_at, now()) ELSE started_at END,
                               finished_at = CASE WHEN ? IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN now() ELSE finished_at END,
                               updated_at = now()
                        WHERE id = ?""")
                .params(state.name(), error, pid, state.name(), state.name(), id).update();
    }

    static RestoreRequest map(ResultSet rs, int i) throws SQLException {
        int pid = rs.getInt("restored_pid");
        Integer restoredPid = rs.wasNull() ? null : pid;
        return new RestoreRequest(rs.getObject("id", UUID.class), rs.getString("image_id"), rs.getString("job_name"),
                rs.getString("target_host_id"), rs.getString("host_name"), rs.getString("requested_by"),
                RestoreState.valueOf(rs.getString("state")), rs.getString("error"), restoredPid,
                instant(rs.getTimestamp("requested_at")), instant(rs.getTimestamp("started_at")),
                instant(rs.getTimestamp("finished_at")), instant(rs.getTimestamp("updated_at")));
    }

    static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
