// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.snapshot;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class SnapshotRepository {

    private final JdbcClient jdbc;

    public SnapshotRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(UUID id, long jobId, Long scheduleId, String hostId, String requestedBy, Instant at) {
        jdbc.sql("""
                        INSERT INTO snapshot_requests (id, job_id, schedule_id, host_id, requested_by, state, requested_at)
                        VALUES (?, ?, ?, ?, ?, 'REQUESTED', ?)""")
                .params(id, jobId, scheduleId, hostId, requestedBy, Timestamp.from(at)).update();
    }

    public Optional<SnapshotRequest> findForUpdate(UUID id) {
        return jdbc.sql("SELECT * FROM snapshot_requests WHERE id = ? FOR UPDATE").param(id)
                .query(SnapshotRepository::map).optional();
    }

    public Optional<SnapshotRequest> find(UUID id) {
        return jdbc.sql("SELECT * FROM snapshot_requests WHERE id = ?").param(id).query(SnapshotRepository::map).optional();
    }

    public List<SnapshotRequest> forJob(long jobId, int max) {
        return jdbc.sql("SELECT * FROM snapshot_requests WHERE job_id = ? ORDER BY requested_at DESC LIMIT ?")
                .params(jobId, max).query(SnapshotRepository::map).list();
    }

    /** Moves a REQUESTED (or TIMED_OUT: the answer came late) request to its answer; returns whether it moved. */
    public boolean finish(UUID id, String state, String imageId, String error) {
        return jdbc.sql("""
                        UPDATE snapshot_requests SET state = ?, image_id = ?, error = ?, finished_at = now()
                        WHERE id = ? AND state IN ('REQUESTED', 'TIMED_OUT')""")
                .params(state, imageId, error, id).update() == 1;
    }

    /** Requests of a schedule still waiting for an answer and younger than {@code timeout}. */
    public Optional<UUID> openRequest(long scheduleId, Duration timeout) {
        return jdbc.sql("""
                        SELECT id FROM snapshot_requests WHERE schedule_id = ? AND state = 'REQUESTED'
                        AND requested_at > now() - make_interval(secs => ?) ORDER BY requested_at DESC LIMIT 1""")
                .params(scheduleId, (double) timeout.toSeconds()).query(UUID.class).optional();
    }

    /** Gives up waiting for answers older than {@code timeout}; returns how many. */
    public int timeOut(long scheduleId, Duration timeout) {
        return jdbc.sql("""
                        UPDATE snapshot_requests SET state = 'TIMED_OUT', finished_at = now(),
                               error = 'no answer from the agent within ' || ? || ' s'
                        WHERE schedule_id = ? AND state = 'REQUESTED' AND requested_at <= now() - make_interval(secs => ?)""")
                .params(timeout.toSeconds(), scheduleId, (double) timeout.toSeconds()).update();
    }

    static SnapshotRequest map(ResultSet rs, int i) throws SQLException {
        long s = rs.getLong("schedule_id");
        Long schedule = rs.wasNull() ? null : s;
        return new SnapshotRequest(rs.getObject("id", UUID.class), rs.getLong("job_id"), schedule, rs.getString("host_id"),
                rs.getString("requested_by"), rs.getString("state"), rs.getString("image_id"), rs.getString("error"),
                instant(rs.getTimestamp("requested_at")), instant(rs.getTimestamp("finished_at")));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
