// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import io.cryostash.catalog.system.Page;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
public class AuditRepository {

    private final JdbcClient jdbc;

    private static final String SELECT = """
            SELECT audit_log.*, c.seq AS chain_seq, encode(c.hash, 'hex') AS chain_hash
            FROM audit_log LEFT JOIN audit_chain c ON c.entry_id = audit_log.id""";

    public AuditRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public Page<AuditEntry> find(AuditFilter f, int page, int size) {
        List<Object> args = new ArrayList<>();
        String where = where(f, args);
        List<Object> countArgs = new ArrayList<>(args);
        countArgs.add(Page.countCap(page, size));
        long counted = jdbc.sql("SELECT count(*) FROM (SELECT 1 FROM audit_log" + where + " LIMIT ?) capped")
                .params(countArgs).query(Long.class).single();
        List<Object> pageArgs = new ArrayList<>(args);
        pageArgs.add(size);
        pageArgs.add((long) page * size);
        List<AuditEntry> items = jdbc.sql(SELECT + where + " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?")
                .params(pageArgs).query(AuditRepository::map).list();
        return Page.capped(items, page, size, counted);
    }

    /** Streams every matching entry, oldest first (for export). */
    public void forEach(AuditFilter f, Consumer<AuditEntry> sink) {
        List<Object> args = new ArrayList<>();
        String where = where(f, args);
        jdbc.sql(SELECT + where + " ORDER BY at, id").params(args)
                .query(AuditRepository::map).stream().forEach(sink);
    }

    public List<String> actions() {
        return jdbc.sql("SELECT DISTINCT action FROM audit_log ORDER BY action").query(String.class).list();
    }

    private static String where(AuditFilter f, List<Object> args) {
        StringBuilder w = new StringBuilder(" WHERE true");
        if (notBlank(f.actor())) { w.append(" AND actor = ?"); args.add(f.actor()); }
        if (notBlank(f.action())) {
            // A prefix of literal text: escape LIKE's wildcards (and its escape character) in it.
            w.append(" AND action LIKE ?");
            args.add(f.action().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
        }
        if (notBlank(f.targetType())) { w.append(" AND target_type = ?"); args.add(f.targetType()); }
        if (notBlank(f.targetId())) { w.append(" AND target_id = ?"); args.add(f.targetId()); }
        if (f.from() != null) { w.append(" AND at >= ?"); args.add(Timestamp.from(f.from())); }
        if (f.to() != null) { w.append(" AND at < ?"); args.add(Timestamp.from(f.to())); }
        return w.toString();
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    static AuditEntry map(ResultSet rs, int i) throws SQLException {
        return new AuditEntry(rs.getLong("id"), rs.getTimestamp("at").toInstant(), rs.getString("actor"),
                rs.getString("actor_kind"), rs.getString("action"), rs.getString("target_type"),
                rs.getString("target_id"), rs.getString("details"), rs.getString("remote_addr"),
                rs.getObject("chain_seq", Long.class), rs.getString("chain_hash"));
    }
}
