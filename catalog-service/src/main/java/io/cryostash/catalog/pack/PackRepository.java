package io.cryostash.catalog.pack;

import java.util.List;

import io.cryostash.catalog.system.Page;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The packs table and its {@code live_bytes}: the stored bytes of a pack's chunks that at least one
 * live image (UPLOADING or COMPLETE) names.
 *
 * <p>{@link #imagesChanged} keeps it by difference rather than recounting whole packs: a pack of
 * thousands of chunks would cost thousands of probes per registration. That is only right if no two
 * transactions work out a difference for the same pack from the same snapshot, so it first locks the
 * pack rows (in key order, so that two callers cannot deadlock), and only then, in a new statement
 * and so a new snapshot, sees what every earlier holder of those locks committed.
 */
@Repository
public class PackRepository {

    /** Image states whose chunks count as live. */
    static final String LIVE = "('UPLOADING', 'COMPLETE')";

    private final JdbcClient jdbc;

    public PackRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Images that just became live ({@code sign} +1, a registration) or stopped being live (-1, deleted
     * or expired; their new state must already be written in this transaction). Adds or takes off the
     * stored bytes of each of their chunks that no live image outside {@code imageIds} names, and
     * creates the rows of packs seen for the first time.
     */
    public void imagesChanged(List<String> imageIds, int sign) {
        if (imageIds.isEmpty()) return;
        if (sign != 1 && sign != -1) throw new IllegalArgumentException("sign must be +1 or -1");
        String[] ids = imageIds.toArray(String[]::new);
        String[] packs = jdbc.sql("""
                        SELECT DISTINCT c.pack_key FROM image_chunks ic JOIN chunks c ON c.key = ic.chunk_key
                        WHERE ic.image_id = ANY(?::text[]) AND c.pack_key IS NOT NULL ORDER BY 1""")
                .param(ids).query(String.class).list().toArray(String[]::new);
        if (packs.length == 0) return;
        jdbc.sql("INSERT INTO packs (key) SELECT k FROM unnest(?::text[]) AS t(k) ORDER BY k ON CONFLICT (key) DO NOTHING")
                .param(packs).update();
        jdbc.sql("SELECT key FROM packs WHERE key = ANY(?::text[]) ORDER BY key FOR UPDATE").param(packs).query(String.class).list();
        jdbc.sql("""
                        UPDATE packs p SET live_bytes = p.live_bytes + ? * d.bytes, size_bytes = greatest(p.size_bytes, d.reach)
                        FROM (SELECT c.pack_key,
                                     coalesce(sum(c.stored_bytes) FILTER (WHERE NOT EXISTS (
                                         SELECT 1 FROM image_chunks o JOIN images i ON i.id = o.image_id
                                         WHERE o.chunk_key = c.key AND i.state IN """ + LIVE + """
                                           AND o.image_id <> ALL(?::text[]))), 0) AS bytes,
                                     coalesce(max(c.pack_offset + c.stored_bytes), 0) AS reach
                              FROM chunks c
                              WHERE c.key IN (SELECT chunk_key FROM image_chunks WHERE image_id = ANY(?::text[]))
                                AND c.pack_key IS NOT NULL
                              GROUP BY c.pack_key) d
                        WHERE p.key = d.pack_key""")
                .params(sign, ids, ids).update();
    }

    /** What {@code live_bytes} should be, counted from scratch (for tests and for checking a database by hand). */
    public long countLiveBytes(String pack) {
        return jdbc.sql("""
                        SELECT coalesce(sum(c.stored_bytes), 0) FROM chunks c
                        WHERE c.pack_key = ? AND EXISTS (
                            SELECT 1 FROM image_chunks o JOIN images i ON i.id = o.image_id
                            WHERE o.chunk_key = c.key AND i.state IN """ + LIVE + ")")
                .param(pack).query(Long.class).single();
    }

    public java.util.Optional<Pack> find(String key) {
        return jdbc.sql("SELECT key, size_bytes, live_bytes, created_at FROM packs WHERE key = ?")
                .param(key).query(PackRepository::map).optional();
    }

    /** Packs by key, or by how little of them is live (the ones garbage collection would win most from first). */
    public Page<Pack> find(String prefix, boolean leastLiveFirst, int page, int size) {
        String like = (prefix == null ? "" : prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")) + "%";
        long counted = jdbc.sql("SELECT count(*) FROM (SELECT 1 FROM packs WHERE key LIKE ? LIMIT ?) capped")
                .params(like, Page.countCap(page, size)).query(Long.class).single();
        String order = leastLiveFirst ? "live_bytes::float8 / greatest(size_bytes, 1), key" : "key";
        List<Pack> items = jdbc.sql("SELECT key, size_bytes, live_bytes, created_at FROM packs WHERE key LIKE ? ORDER BY "
                        + order + " LIMIT ? OFFSET ?")
                .params(like, size, (long) page * size).query(PackRepository::map).list();
        return Page.capped(items, page, size, counted);
    }

    private static Pack map(java.sql.ResultSet rs, int i) throws java.sql.SQLException {
        return new Pack(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getTimestamp(4).toInstant());
    }
}
