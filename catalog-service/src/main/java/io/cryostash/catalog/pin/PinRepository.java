// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pin;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class PinRepository {

    private static final String SELECT = """
            SELECT i.id, j.name AS job, i.host_id, i.captured_at, i.pinned_at, i.pinned_by, i.pin_reason
            FROM images i JOIN jobs j ON j.id = i.job_id""";
    private final JdbcClient jdbc;

    public PinRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public Optional<Pin> find(String imageId) {
        return jdbc.sql(SELECT + " WHERE i.id = ? AND i.pinned_at IS NOT NULL").param(imageId).query(PinRepository::map).optional();
    }

    public List<Pin> findAll() {
        return jdbc.sql(SELECT + " WHERE i.pinned_at IS NOT NULL ORDER BY i.pinned_at DESC").query(PinRepository::map).list();
    }

    /** Pins a live image; false when it is not live or already pinned (the caller tells which). */
    boolean pin(String imageId, String by, String reason) {
        return jdbc.sql("""
                        UPDATE images SET pinned_at = now(), pinned_by = ?, pin_reason = ?
                        WHERE id = ? AND pinned_at IS NULL AND state IN ('UPLOADING', 'COMPLETE')""")
                .params(by, reason, imageId).update() == 1;
    }

    boolean unpin(String imageId) {
        return jdbc.sql("UPDATE images SET pinned_at = NULL, pinned_by = NULL, pin_reason = NULL WHERE id = ? AND pinned_at IS NOT NULL")
                .param(imageId).update() == 1;
    }

    static Pin map(ResultSet rs, int i) throws SQLException {
        return new Pin(rs.getString("id"), rs.getString("job"), rs.getString("host_id"),
                rs.getTimestamp("captured_at").toInstant(), rs.getTimestamp("pinned_at").toInstant(),
                rs.getString("pinned_by"), rs.getString("pin_reason"));
    }
}
