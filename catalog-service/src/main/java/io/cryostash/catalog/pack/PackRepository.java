// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pack;

import java.util.List;

import io.cryostash.catalog.system.Page;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The packs table and its {@code live_bytes}: the stored bytes of a pack's chunks that at least one
 * live image (UPLOADING or COMPLETE) names.
 *
 * <p>Kept in two steps, so that registrations never wait for each other on pack rows:
 * <ol>
 * <li>{@link #imagesChanged} only records, in the caller's transaction, which images started or
 * stopped being live: one row each in the append-only queue {@code pack_live_changes} (no unique
 * key, so concurrent callers never wait on each other's uncommitted rows).</li>
 * <li>{@link #applyLiveChanges}, run by the single {@link PackLiveBytesWorker} every
 * {@code cryostash.catalog.pack-live-bytes-delay} (default 2 s; tests call it directly), takes every
 * queued row its snapshot sees and, in that same statement and so the same snapshot, works out per
 * pack the bytes of the touched chunks that became live or stopped being live, creates missing pack
 * rows and adds the differences (and raises {@code size_bytes}).</li>
 * </ol>
 * This is exact, not an estimate: after each run, {@code live_bytes} is what {@link #countLiveBytes}
 * would count from scratch in that run's snapshot. The queue holds exactly the changes committed
 * since the previous run's snapshot (later commits stay queued for the next run), and a chunk's
 * liveness before them is "named by a live image that the batch did not register, or by one the
 * batch deleted". Runs are serialised by a transaction-scoped advisory lock, so a second catalog
 * instance (or a test calling in while the schedule fires) waits and then starts from a fresh
 * snapshot. Readers see {@code live_bytes} up to a run late (seconds); nothing decides on it
 * synchronously.
 *
 * <p>The same run first copies the chunk lists of newly registered images into the reverse index
 * {@code image_chunks} (registration writes only the list: see V9), so that {@code image_chunks} is
 * exactly the set of images the packs' live bytes count; an image registered while a run is under
 * way keeps its queued changes for the next run together with its links.
 *
 * <p>Why by difference and not a recount of each touched pack: a registration touches a handful of
 * chunks, a pack can hold hundreds of thousands (the benchmark's agent puts all new chunks into
 * one), so a recount costs a probe per chunk of the pack, a difference one per chunk changed. The
 * previous synchronous version (lock the packs, then add the difference) was exact too, but held
 * the pack row locks until commit: registrations into the same pack ran one at a time.
 */
@Repository
public class PackRepository {

    /** Image states whose chunks count as live. */
    static final String LIVE = "('UPLOADING', 'COMPLETE')";

    /** Key of the advisory lock that serialises {@link #applyLiveChanges} runs (any catalog instance). */
    static final long APPLY_LOCK = 0x63727970_6b6c6976L;

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    public PackRepository(JdbcClient jdbc, PlatformTransactionManager transactions) {
        this.jdbc = jdbc;
        this.tx = new TransactionTemplate(transactions);
    }

    /**
     * Images that just became live ({@code sign} +1, a registration) or stopped being live (-1, deleted
     * or expired), in the caller's transaction, which also writes that state change. Only queues them
     * (one row each); {@link #applyLiveChanges} updates the packs.
     */
    public void imagesChanged(List<String> imageIds, int sign) {
        if (imageIds.isEmpty()) return;
        if (sign != 1 && sign != -1) throw new IllegalArgumentException("sign must be +1 or -1");
        jdbc.sql("INSERT INTO pack_live_changes (image_id, sign) SELECT i, ? FROM unnest(?::text[]) AS t(i)")
                .params(sign, imageIds.toArray(String[]::new)).update();
    }

    /**
     * Applies every queued change that has committed to the packs' live and size bytes, in its own
     * transaction; returns how many pack rows it created or updated. Safe to call at any time from
     * any thread or catalog instance (runs wait for each other).
     */
    public int applyLiveChanges() {
        Integer n = tx.execute(s -> {
            jdbc.sql("SELECT pg_advisory_xact_lock(?)").param(APPLY_LOCK).query().singleRow();
            // First the reverse index: the links of every image registered since the last run, from
            // their lists. The statement below sees them (same transaction); an image registered
            // after this statement's snapshot is still pending there, and its queued changes wait for
            // the next run, so that the packs count exactly the images that image_chunks holds.
            jdbc.sql("""
                            WITH p AS (DELETE FROM image_links_pending RETURNING image_id)
                            INSERT INTO image_chunks (image_id, chunk_key)
                            SELECT l.image_id, k.key FROM p JOIN image_chunk_lists l ON l.image_id = p.image_id
                            CROSS JOIN LATERAL unnest(l.keys) AS k(key)
                            ORDER BY 1, 2""")
                    .update();
            // One statement, one snapshot: the queue rows it takes and the images and chunks it reads.
            // gained/lost: the chunk is named by an image of the batch that became / stopped being
            // live; a chunk named by a live image the batch did not register was live before and
            // after, and one both gained and lost was too (the deleted image named it before, the
            // registered one after). Otherwise its stored bytes come on (gained) or go off (lost).
            // The batch's chunks come from its images' lists (the same keys as their links, which are
            // all in image_chunks: the batch leaves out images whose links are pending), so that no
            // scan of image_chunks by image is needed. covered: the chunks a registered image's parent
            // names, when that parent is live and not registered in this batch; the probe below would
            // find that parent for each of them (its links went in before its child's), so they are
            // skipped without it: an incremental snapshot names tens of thousands of chunks, of which
            // a few thousand are new, and a probe each cost about 1 s a registration. The probe starts
            // from the images naming the chunk (OFFSET 0 keeps the planner from turning it around):
            // with few images in the table it looped over every live image for each chunk instead.
            return jdbc.sql("""
                            WITH batch AS (DELETE FROM pack_live_changes
                                           WHERE image_id NOT IN (SELECT image_id FROM image_links_pending)
                                           RETURNING image_id, sign),
                            net AS (SELECT image_id, sum(sign) AS sign FROM batch GROUP BY image_id),
                            registered AS (SELECT coalesce(array_agg(image_id), '{}') AS ids FROM net WHERE sign > 0),
                            touched AS (
                                SELECT k.key AS chunk_key, bool_or(n.sign > 0) AS gained, bool_or(n.sign < 0) AS lost
                                FROM net n JOIN image_chunk_lists l ON l.image_id = n.image_id
                                CROSS JOIN LATERAL unnest(l.keys) AS k(key)
                                GROUP BY k.key),
                            covered AS (
                                SELECT DISTINCT k.key
                                FROM net n JOIN images ni ON ni.id = n.image_id
                                JOIN images pi ON pi.id = ni.parent_id AND pi.state IN """ + LIVE + """
                                JOIN image_chunk_lists pl ON pl.image_id = pi.id
                                CROSS JOIN LATERAL unnest(pl.keys) AS k(key)
                                WHERE n.sign > 0 AND pi.id <> ALL ((SELECT ids FROM registered)::text[])),
                            d AS (
                                SELECT c.pack_key,
                                       coalesce(sum(c.stored_bytes * (t.gained::int - t.lost::int)) FILTER (
                                           WHERE t.gained <> t.lost AND NOT (c.key IN (SELECT key FROM covered)) AND NOT EXISTS (
                                               SELECT 1 FROM (SELECT o.image_id FROM image_chunks o WHERE o.chunk_key = c.key
                                                              OFFSET 0) o
                                               JOIN images i ON i.id = o.image_id
                                               WHERE o.image_id <> ALL ((SELECT ids FROM registered)::text[])
                                                 AND i.state IN """ + LIVE + """
                                               )), 0) AS bytes,
                                       coalesce(max(c.pack_offset + c.stored_bytes), 0) AS reach
                                FROM touched t JOIN chunks c ON c.key = t.chunk_key
                                WHERE c.pack_key IS NOT NULL
                                GROUP BY c.pack_key)
                            INSERT INTO packs AS p (key, size_bytes, live_bytes)
                            SELECT pack_key, reach, bytes FROM d ORDER BY pack_key
                            ON CONFLICT (key) DO UPDATE SET live_bytes = p.live_bytes + excluded.live_bytes,
                                                            size_bytes = greatest(p.size_bytes, excluded.size_bytes)""")
                    .update();
        });
        return n == null ? 0 : n;
    }

    /** How many image changes wait for {@link #applyLiveChanges} (committed ones only). */
    public long pendingLiveChanges() {
        return jdbc.sql("SELECT count(*) FROM pack_live_changes").query(Long.class).single();
    }

    /**
     * What {@code live_bytes} should be once every committed change is applied, counted from scratch
     * from the live images' chunk lists (for tests and for checking a database by hand: it reads every
     * live list, so it is not for a hot path).
     */
    public long countLiveBytes(String pack) {
        return jdbc.sql("""
                        SELECT coalesce(sum(c.stored_bytes), 0) FROM chunks c
                        WHERE c.pack_key = ? AND c.key IN (
                            SELECT unnest(l.keys) FROM image_chunk_lists l JOIN images i ON i.id = l.image_id
                            WHERE i.state IN """ + LIVE + ")")
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
