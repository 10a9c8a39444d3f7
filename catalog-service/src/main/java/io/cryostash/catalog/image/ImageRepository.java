// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.system.Page;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.catalog.ProcessSummary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

@Repository
public class ImageRepository {

    private static final HexFormat HEX = HexFormat.of();
    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final ImageContentsRepository contents;
    private final RecentChunkLists recentLists;

    public ImageRepository(JdbcClient jdbc, JsonMapper json, ImageContentsRepository contents, RecentChunkLists recentLists) {
        this.jdbc = jdbc;
        this.json = json;
        this.contents = contents;
        this.recentLists = recentLists;
    }

    /** The host that registered an image, if it exists. */
    public Optional<String> hostOf(String id) {
        return jdbc.sql("SELECT host_id FROM images WHERE id = ?").param(id).query(String.class).optional();
    }

    /** Manifest key of an image, if it exists (to tell a repeated registration from a clash). */
    public Optional<String> manifestKey(String id) {
        return jdbc.sql("SELECT manifest_key FROM images WHERE id = ?").param(id).query(String.class).optional();
    }

    public Optional<ImageState> state(String id) {
        return jdbc.sql("SELECT state FROM images WHERE id = ?").param(id).query(String.class).optional().map(ImageState::valueOf);
    }

    /** Whether the image is pinned (a legal hold: retention and deletion leave it alone). */
    public boolean pinned(String id) {
        return jdbc.sql("SELECT pinned_at IS NOT NULL FROM images WHERE id = ?").param(id).query(Boolean.class).optional().orElse(false);
    }

    /** The image's state, locking its row until the transaction ends. */
    public Optional<ImageState> stateForUpdate(String id) {
        return jdbc.sql("SELECT state FROM images WHERE id = ? FOR UPDATE").param(id).query(String.class).optional().map(ImageState::valueOf);
    }

    /**
     * Creates (or finds) the image's job and inserts the image, in one statement. Empty when an image
     * with this id exists already (nothing is inserted then).
     */
    public Optional<ImageSummary> insertWithJob(ImageRegistration r, String labelsJson) {
        ProcessSummary p = r.process();
        return jdbc.sql("""
                        WITH j AS (
                            INSERT INTO jobs (host_id, name, labels) VALUES (?, ?, ?::jsonb)
                            ON CONFLICT (host_id, name) DO UPDATE SET labels = jobs.labels || excluded.labels
                            RETURNING id, name),
                        i AS (
                            INSERT INTO images (id, host_id, job_id, parent_id, captured_at, state, logical_bytes, stored_bytes,
                                                chunk_count, manifest_key, signature, arch, cpu_flags, vdso_fingerprint,
                                                process_summary)
                            SELECT ?, ?, j.id, ?, ?, 'COMPLETE', ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb FROM j
                            ON CONFLICT (id) DO NOTHING
                            RETURNING *)
                        SELECT i.id, i.host_id, h.name AS host_name, i.job_id, j.name AS job_name, i.captured_at, i.state,
                               i.logical_bytes, i.stored_bytes, i.chunk_count, i.parent_id
                        FROM i JOIN j ON j.id = i.job_id JOIN hosts h ON h.id = i.host_id""")
                .params(r.hostId(), r.job(), labelsJson,
                        r.imageId(), r.hostId(), r.parentId(), Timestamp.from(r.capturedAt()), r.logicalBytes(),
                        r.storedBytes(), r.chunks().size(), r.manifestKey(), r.signature(), p.arch(),
                        p.cpuFlagsOrEmpty().toArray(String[]::new), p.vdsoFingerprint(), json.writeValueAsString(p))
                .query(ImageRepository::summary).optional();
    }

    /** {@link #insertChunks(String, String, List)} with no parent to skip known chunks by. */
    public int insertChunks(String imageId, List<ChunkRef> chunks) {
        return insertChunks(imageId, null, chunks);
    }

    /**
     * Stores the image's chunk list (one row: its distinct keys, sorted), queues it for the reverse
     * index {@code image_chunks} (filled by PackLiveBytesWorker), and adds to the chunk table the
     * chunks it names that were not there. An incremental image names mostly its
     * parent's chunks: those are skipped without a probe of the chunk table when the parent is live
     * (a live image's chunks are kept by the store and never dropped from the table); the rest are
     * inserted in key order, keeping rows that exist, so that concurrent registrations cannot
     * deadlock. Two statements: the list (which answers the keys the parent does not name), then
     * only those chunks with their sizes and places. A repeated key keeps its first reference.
     *
     * @return how many chunks were not named by the parent (and so were sent to the chunk table)
     */
    public int insertChunks(String imageId, String parentId, List<ChunkRef> chunks) {
        List<ChunkRef> sorted = distinctByKey(chunks);
        // The keys go as bytea[], stored as they come: no hex decoding or sorting in the database.
        byte[][] keys = new byte[sorted.size()][];
        for (int i = 0; i < keys.length; i++) keys[i] = HEX.parseHex(sorted.get(i).key());
        // 1: the list and its queue row; answers which keys (1-based positions) the live parent does not name.
        byte[][] parentKeys = parentId == null ? null : recentLists.get(parentId);
        long[] fresh;
        if (parentKeys != null) {
            // the parent's list is at hand: only whether it is live comes from the database
            boolean parentLive = jdbc.sql(STORE_LIST_PARENT_KNOWN).params(imageId, keys, imageId, parentId)
                    .query(Boolean.class).single();
            fresh = parentLive ? RecentChunkLists.notIn(keys, parentKeys) : allPositions(keys.length);
        } else {
            Long[] answer = jdbc.sql(STORE_LIST).params(imageId, keys, imageId, parentId)
                    .query((rs, i) -> (Long[]) rs.getArray(1).getArray()).single();
            fresh = new long[answer.length];
            for (int i = 0; i < answer.length; i++) fresh[i] = answer[i];
        }
        recentLists.keep(imageId, keys);
        if (fresh.length == 0) return 0;
        // 2: only those go to the chunk table (with their sizes and places), in key order.
        int n = fresh.length;
        byte[][] newKeys = new byte[n][];
        Integer[] raw = new Integer[n];
        Integer[] stored = new Integer[n];
        String[] packs = new String[n];
        Long[] offsets = new Long[n];
        for (int i = 0; i < n; i++) {
            int at = (int) (fresh[i] - 1);
            ChunkRef c = sorted.get(at);
            newKeys[i] = keys[at];
            raw[i] = (int) c.rawBytes();
            stored[i] = c.storedBytes() == null ? null : c.storedBytes().intValue();
            packs[i] = c.pack();
            offsets[i] = c.offset();
        }
        jdbc.sql(INSERT_CHUNKS).params(newKeys, raw, stored, packs, offsets).update();
        return n;
    }

    static final String STORE_LIST = """
            WITH list AS (
                INSERT INTO image_chunk_lists (image_id, keys) VALUES (?, ?::bytea[]) RETURNING keys),
            pending AS (
                INSERT INTO image_links_pending (image_id) VALUES (?)),
            parent AS (
                SELECT unnest(pl.keys) AS key FROM image_chunk_lists pl JOIN images pi ON pi.id = pl.image_id
                WHERE pl.image_id = ? AND pi.state IN ('UPLOADING', 'COMPLETE'))
            SELECT coalesce(array_agg(t.n ORDER BY t.n), '{}'::bigint[])
            FROM unnest((SELECT keys FROM list)) WITH ORDINALITY AS t(key, n)
            WHERE NOT EXISTS (SELECT 1 FROM parent WHERE parent.key = t.key)""";

    /** STORE_LIST when the parent's keys are known: answers only whether the parent is live. */
    static final String STORE_LIST_PARENT_KNOWN = """
            WITH list AS (
                INSERT INTO image_chunk_lists (image_id, keys) VALUES (?, ?::bytea[])),
            pending AS (
                INSERT INTO image_links_pending (image_id) VALUES (?))
            SELECT EXISTS (SELECT 1 FROM images WHERE id = ? AND state IN ('UPLOADING', 'COMPLETE'))""";

    private static long[] allPositions(int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = i + 1;
        return out;
    }

    static final String INSERT_CHUNKS = """
            INSERT INTO chunks (key, raw_bytes, stored_bytes, pack_key, pack_offset)
            SELECT t.key, t.r, t.s, t.p, t.o
            FROM unnest(?::bytea[], ?::int[], ?::int[], ?::text[], ?::bigint[]) WITH ORDINALITY AS t(key, r, s, p, o, n)
            ORDER BY t.n
            ON CONFLICT (key) DO NOTHING""";

    /**
     * Distinct keys in ascending order. Keys are lower-case hex, so their string order is the order of
     * the bytes they spell (bytea's order in PostgreSQL), prefixes first.
     */
    static List<ChunkRef> distinctByKey(List<ChunkRef> chunks) {
        // a stable sort keeps a repeated key's first reference first; cheaper than a TreeMap of tens of thousands
        List<ChunkRef> sorted = new ArrayList<>(chunks);
        sorted.sort(java.util.Comparator.comparing(ChunkRef::key));
        List<ChunkRef> out = new ArrayList<>(sorted.size());
        for (ChunkRef c : sorted) {
            if (out.isEmpty() || !out.get(out.size() - 1).key().equals(c.key())) out.add(c);
        }
        return out;
    }

    /** The list row of one image. */
    public Optional<ImageSummary> summary(String id) {
        return jdbc.sql("""
                        SELECT i.id, i.host_id, h.name AS host_name, i.job_id, j.name AS job_name, i.captured_at, i.state,
                               i.logical_bytes, i.stored_bytes, i.chunk_count, i.parent_id
                        FROM images i JOIN jobs j ON j.id = i.job_id JOIN hosts h ON h.id = i.host_id WHERE i.id = ?""")
                .param(id).query(ImageRepository::summary).optional();
    }

    public int setState(String id, ImageState state) {
        return jdbc.sql("UPDATE images SET state = ?, state_changed_at = now() WHERE id = ? AND state <> ?")
                .params(state.name(), id, state.name()).update();
    }

    public Page<ImageSummary> find(ImageFilter f, int page, int size) {
        List<Object> args = new ArrayList<>();
        StringBuilder where = new StringBuilder(" WHERE true");
        if (notBlank(f.host())) { where.append(" AND i.host_id = ?"); args.add(f.host()); }
        // By job id, not by the joined name: the planner then walks images_job_captured for the job's
        // few images instead of every image of the host, joining each to its job to read its name.
        // A job belongs to one host, so with a host the job is a single row of jobs (host_id, name).
        if (notBlank(f.job()) && notBlank(f.host())) {
            where.append(" AND i.job_id IN (SELECT id FROM jobs WHERE host_id = ? AND name = ?)");
            args.add(f.host());
            args.add(f.job());
        } else if (notBlank(f.job())) {
            where.append(" AND i.job_id IN (SELECT id FROM jobs WHERE name = ?)");
            args.add(f.job());
        }
        if (notBlank(f.label())) {
            int eq = f.label().indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("label must be key=value");
            where.append(" AND j.labels @> jsonb_build_object(?::text, ?::text)");
            args.add(f.label().substring(0, eq));
            args.add(f.label().substring(eq + 1));
        }
        if (f.state() != null) { where.append(" AND i.state = ?"); args.add(f.state().name()); }
        if (f.from() != null) { where.append(" AND i.captured_at >= ?"); args.add(Timestamp.from(f.from())); }
        if (f.to() != null) { where.append(" AND i.captured_at < ?"); args.add(Timestamp.from(f.to())); }
        if (notBlank(f.q())) {
            String like = "%" + f.q().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
            where.append(" AND (i.id LIKE ? OR j.name ILIKE ? OR h.name ILIKE ?)");
            args.add(f.q().replace("%", "\\%").replace("_", "\\_") + "%");
            args.add(like);
            args.add(like);
        }
        String column = ImageFilter.SORTS.get(f.sortOrDefault());
        if (column == null) throw new IllegalArgumentException("sort must be one of " + ImageFilter.SORTS.keySet());
        if (!ImageFilter.DIRS.contains(f.dirOrDefault())) throw new IllegalArgumentException("dir must be asc or desc");
        String from = " FROM images i JOIN jobs j ON j.id = i.job_id JOIN hosts h ON h.id = i.host_id";
        // Every image has its job and host (foreign keys), so the count joins only what the filter reads.
        boolean filtersJob = notBlank(f.label()) || notBlank(f.q());
        boolean filtersHost = notBlank(f.q());
        String countFrom = " FROM images i" + (filtersJob ? " JOIN jobs j ON j.id = i.job_id" : "")
                + (filtersHost ? " JOIN hosts h ON h.id = i.host_id" : "");
        List<Object> countArgs = new ArrayList<>(args);
        countArgs.add(Page.countCap(page, size));
        long counted = jdbc.sql("SELECT count(*) FROM (SELECT 1" + countFrom + where + " LIMIT ?) capped")
                .params(countArgs).query(Long.class).single();
        List<Object> pageArgs = new ArrayList<>(args);
        pageArgs.add(size);
        pageArgs.add((long) page * size);
        String dir = f.dirOrDefault().toUpperCase();
        List<ImageSummary> items = jdbc.sql("""
                        SELECT i.id, i.host_id, h.name AS host_name, i.job_id, j.name AS job_name, i.captured_at, i.state,
                               i.logical_bytes, i.stored_bytes, i.chunk_count, i.parent_id""" + from + where
                        + " ORDER BY " + column + " " + dir + ", i.id " + dir + " LIMIT ? OFFSET ?")
                .params(pageArgs)
                .query(ImageRepository::summary).list();
        return Page.capped(items, page, size, counted);
    }

    static ImageSummary summary(ResultSet rs, int i) throws SQLException {
        return new ImageSummary(rs.getString("id"), rs.getString("host_id"), rs.getString("host_name"),
                rs.getLong("job_id"), rs.getString("job_name"), rs.getTimestamp("captured_at").toInstant(),
                ImageState.valueOf(rs.getString("state")), rs.getLong("logical_bytes"), rs.getLong("stored_bytes"),
                rs.getInt("chunk_count"), rs.getString("parent_id"));
    }

    /** Details with no contents lists read (for callers that need the process and the CPU it needs). */
    public Optional<ImageDetails> details(String id, int firstChunks) {
        return details(id, firstChunks, null);
    }

    /** Details with the given slice of the contents lists; {@code window} null reads none (empty slices). */
    public Optional<ImageDetails> details(String id, int firstChunks, ImageContents.Window window) {
        return jdbc.sql("""
                        SELECT i.*, h.name AS host_name, j.name AS job_name, j.labels AS job_labels
                        FROM images i JOIN jobs j ON j.id = i.job_id JOIN hosts h ON h.id = i.host_id
                        WHERE i.id = ?""")
                .param(id)
                .query((rs, n) -> {
                    List<String> children = jdbc.sql("SELECT id FROM images WHERE parent_id = ? ORDER BY captured_at")
                            .param(id).query(String.class).list();
                    return new ImageDetails(rs.getString("id"), rs.getString("host_id"), rs.getString("host_name"),
                            rs.getLong("job_id"), rs.getString("job_name"),
                            json.readValue(rs.getString("job_labels"), new TypeReference<Map<String, String>>() {
                            }),
                            rs.getTimestamp("captured_at").toInstant(), rs.getTimestamp("registered_at").toInstant(),
                            ImageState.valueOf(rs.getString("state")), rs.getLong("logical_bytes"),
                            rs.getLong("stored_bytes"), rs.getString("manifest_key"), rs.getString("signature"),
                            rs.getString("arch"), HostRepository.strings(rs.getArray("cpu_flags")),
                            rs.getString("vdso_fingerprint"),
                            json.readValue(rs.getString("process_summary"), ProcessSummary.class),
                            rs.getString("parent_id"), children, chunkStats(id, firstChunks),
                            window == null ? ImageContents.empty(ImageContents.Window.first(0)) : contents.read(id, window));
                })
                .optional();
    }

    /**
     * The image's chunks from its own list (exact at once), and how many of them another image names:
     * from the reverse index, plus the lists of images registered but not yet copied into it.
     */
    ImageDetails.ChunkStats chunkStats(String imageId, int first) {
        var totals = jdbc.sql("""
                        SELECT count(*), coalesce(sum(c.raw_bytes), 0), coalesce(sum(c.stored_bytes), 0)
                        FROM image_chunk_lists l CROSS JOIN LATERAL unnest(l.keys) AS k(key)
                        JOIN chunks c ON c.key = k.key WHERE l.image_id = ?""")
                .param(imageId)
                .query((rs, i) -> new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)}).single();
        // Semi- and anti-joins only (no OR of subqueries): an OR keeps the probe a per-key subplan, which
        // with stale statistics on a just-filled image_chunks became a scan of the table per key.
        long shared = jdbc.sql("""
                        WITH mine AS MATERIALIZED (
                            SELECT k.key FROM image_chunk_lists l CROSS JOIN LATERAL unnest(l.keys) AS k(key)
                            WHERE l.image_id = ?),
                        indexed AS MATERIALIZED (
                            SELECT m.key FROM mine m
                            WHERE EXISTS (SELECT 1 FROM image_chunks o WHERE o.chunk_key = m.key AND o.image_id <> ?)),
                        others_pending AS MATERIALIZED (
                            SELECT k.key FROM image_links_pending p JOIN image_chunk_lists pl ON pl.image_id = p.image_id
                            CROSS JOIN LATERAL unnest(pl.keys) AS k(key) WHERE p.image_id <> ?)
                        SELECT (SELECT count(*) FROM indexed)
                             + (SELECT count(*) FROM mine m
                                WHERE EXISTS (SELECT 1 FROM others_pending op WHERE op.key = m.key)
                                  AND NOT EXISTS (SELECT 1 FROM indexed i WHERE i.key = m.key))""")
                .params(imageId, imageId, imageId).query(Long.class).single();
        List<ImageDetails.ChunkRow> rows = jdbc.sql("""
                        SELECT encode(c.key, 'hex'), c.raw_bytes, c.stored_bytes, c.pack_key, c.pack_offset
                        FROM image_chunk_lists l CROSS JOIN LATERAL unnest(l.keys) AS k(key)
                        JOIN chunks c ON c.key = k.key
                        WHERE l.image_id = ? ORDER BY c.key LIMIT ?""")
                .params(imageId, first)
                .query((rs, i) -> {
                    int s = rs.getInt(3);
                    Integer stored = rs.wasNull() ? null : s;
                    long o = rs.getLong(5);
                    Long off = rs.wasNull() ? null : o;
                    return new ImageDetails.ChunkRow(rs.getString(1), rs.getInt(2), stored, rs.getString(4), off);
                })
                .list();
        return new ImageDetails.ChunkStats((int) totals[0], totals[1], totals[2], shared, rows);
    }

    static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    static byte[] unhex(String hex) {
        return HEX.parseHex(hex);
    }
}
