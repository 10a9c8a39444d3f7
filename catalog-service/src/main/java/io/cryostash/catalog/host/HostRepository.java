// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.host;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import io.cryostash.catalog.CatalogProperties;
import io.cryostash.catalog.store.KeyFingerprint;
import io.cryostash.schema.catalog.HostReport;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class HostRepository {

    private final JdbcClient jdbc;
    private final Duration onlineWithin;

    public HostRepository(JdbcClient jdbc, CatalogProperties props) {
        this.jdbc = jdbc;
        this.onlineWithin = props.hostOnlineWithin();
    }

    private static final String SELECT = """
            SELECT id, name, arch, kernel, cpu_model, cpu_flags, vdso_fingerprint, capture_agent_version,
                   restore_agent_version, last_heartbeat, created_at, public_key, key_enrolled_at FROM hosts""";

    public List<Host> findAll() {
        return jdbc.sql(SELECT + " ORDER BY name, id").query(this::map).list();
    }

    public Optional<Host> find(String id) {
        return jdbc.sql(SELECT + " WHERE id = ?").param(id).query(this::map).optional();
    }

    public boolean exists(String id) {
        return jdbc.sql("SELECT count(*) FROM hosts WHERE id = ?").param(id).query(Integer.class).single() > 0;
    }

    /** Creates a host known only by id and name (before its agent first reports). */
    public boolean insert(String id, String name) {
        return jdbc.sql("INSERT INTO hosts (id, name) VALUES (?, ?) ON CONFLICT (id) DO NOTHING")
                .params(id, name).update() == 1;
    }

    /** Records a heartbeat and what the agent says about its host (creating the host if new). */
    public void heartbeat(String id, HostReport r) {
        String[] flags = r.cpuFlags() == null ? new String[0] : r.cpuFlags().toArray(String[]::new);
        jdbc.sql("""
                        INSERT INTO hosts (id, name, arch, kernel, cpu_model, cpu_flags, vdso_fingerprint,
                                           capture_agent_version, restore_agent_version, last_heartbeat)
                        VALUES (:id, coalesce(:name, :id), :arch, :kernel, :cpuModel, :flags, :vdso, :cav, :rav, now())
                        ON CONFLICT (id) DO UPDATE SET
                            name = coalesce(:name, hosts.name),
                            arch = coalesce(:arch, hosts.arch),
                            kernel = coalesce(:kernel, hosts.kernel),
                            cpu_model = coalesce(:cpuModel, hosts.cpu_model),
                            cpu_flags = CASE WHEN :hasFlags THEN :flags ELSE hosts.cpu_flags END,
                            vdso_fingerprint = coalesce(:vdso, hosts.vdso_fingerprint),
                            capture_agent_version = coalesce(:cav, hosts.capture_agent_version),
                            restore_agent_version = coalesce(:rav, hosts.restore_agent_version),
                            last_heartbeat = now()""")
                .param("id", id).param("name", r.name()).param("arch", r.arch()).param("kernel", r.kernel())
                .param("cpuModel", r.cpuModel()).param("flags", flags).param("hasFlags", r.cpuFlags() != null)
                .param("vdso", r.vdsoFingerprint()).param("cav", r.captureAgentVersion())
                .param("rav", r.restoreAgentVersion())
                .update();
    }

    /** The signing key the host enrolled (X.509 bytes), if it has one. */
    public Optional<byte[]> publicKey(String id) {
        return jdbc.sql("SELECT public_key FROM hosts WHERE id = ? AND public_key IS NOT NULL").param(id)
                .query((rs, i) -> rs.getBytes(1)).optional();
    }

    /** A host's enrolled signing key (X.509 bytes) and when it was enrolled. */
    public record EnrolledKey(byte[] publicKey, Instant enrolledAt) {
    }

    /** The host's enrolled key, if the host exists and has one. */
    public Optional<EnrolledKey> enrolledKey(String id) {
        return jdbc.sql("SELECT public_key, key_enrolled_at FROM hosts WHERE id = ? AND public_key IS NOT NULL").param(id)
                .query((rs, i) -> new EnrolledKey(rs.getBytes(1), instant(rs.getTimestamp(2)))).optional();
    }

    /** A host row as enrolment sees it: its key, null when it has none. */
    public record KeyState(byte[] publicKey) {
    }

    /** Locks the host's row for an enrolment and returns its key state, or empty when there is no such host. */
    public Optional<KeyState> keyStateForUpdate(String id) {
        return jdbc.sql("SELECT public_key FROM hosts WHERE id = ? FOR UPDATE").param(id)
                .query((rs, i) -> new KeyState(rs.getBytes(1))).optional();
    }

    /** Sets the key of an existing host that has none. */
    public void setPublicKey(String id, byte[] x509) {
        jdbc.sql("UPDATE hosts SET public_key = ?, key_enrolled_at = now() WHERE id = ?").params(x509, id).update();
    }

    /** Forgets the host's key, so that it can enrol again with a new one; returns whether it had one. */
    public boolean clearPublicKey(String id) {
        return jdbc.sql("UPDATE hosts SET public_key = NULL, key_enrolled_at = NULL WHERE id = ? AND public_key IS NOT NULL")
                .param(id).update() == 1;
    }

    public record OnlineCount(long online, long total) {
    }

    public OnlineCount onlineCount() {
        return jdbc.sql("SELECT count(*) FILTER (WHERE last_heartbeat >= ?), count(*) FROM hosts")
                .param(Timestamp.from(Instant.now().minus(onlineWithin)))
                .query((rs, i) -> new OnlineCount(rs.getLong(1), rs.getLong(2))).single();
    }

    Host map(ResultSet rs, int i) throws SQLException {
        Timestamp hb = rs.getTimestamp("last_heartbeat");
        Instant last = hb == null ? null : hb.toInstant();
        boolean online = last != null && last.isAfter(Instant.now().minus(onlineWithin));
        return new Host(rs.getString("id"), rs.getString("name"), rs.getString("arch"), rs.getString("kernel"),
                rs.getString("cpu_model"), strings(rs.getArray("cpu_flags")), rs.getString("vdso_fingerprint"),
                rs.getString("capture_agent_version"), rs.getString("restore_agent_version"), last, online,
                rs.getTimestamp("created_at").toInstant(), KeyFingerprint.of(rs.getBytes("public_key")),
                instant(rs.getTimestamp("key_enrolled_at")));
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    public static List<String> strings(Array a) throws SQLException {
        if (a == null) return List.of();
        return Arrays.asList((String[]) a.getArray());
    }
}
