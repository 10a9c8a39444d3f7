// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import io.cryostash.store.index.ChunkIndex;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.repository.GarbageCollector;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.PackIndexEntry;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/**
 * Brings the catalog's chunk and pack rows in line with the store after a garbage collection:
 * a chunk whose pack left the index moves to the pack that now holds it (repacked, or a duplicate
 * that was kept) or, when no pack does, is removed, so that the catalog never answers "have" for
 * a chunk the store no longer holds; packs that left the index are removed and new ones added,
 * with their live bytes counted from scratch.
 */
@Component
public class ChunkLocations {

    private static final HexFormat HEX = HexFormat.of();
    private final JdbcClient jdbc;

    public ChunkLocations(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** What the catalog changed. */
    public record Changes(long moved, long removed, int packsRemoved, int packsAdded) {
    }

    @Transactional
    public Changes apply(GarbageCollector.Report r) {
        java.util.Set<String> goneSet = new java.util.LinkedHashSet<>(r.removedFromIndex());
        goneSet.addAll(r.deletedPacks());
        List<String> gone = new ArrayList<>(goneSet);
        long moved = 0;
        long removed = 0;
        if (!gone.isEmpty()) {
            List<byte[]> keys = jdbc.sql("SELECT key FROM chunks WHERE pack_key = ANY (?)")
                    .param((Object) gone.toArray(String[]::new)).query((rs, i) -> rs.getBytes(1)).list();
            List<String> moveKeys = new ArrayList<>();
            List<String> movePacks = new ArrayList<>();
            List<Long> moveOffsets = new ArrayList<>();
            List<Integer> moveSizes = new ArrayList<>();
            List<byte[]> drop = new ArrayList<>();
            for (byte[] k : keys) {
                Optional<ChunkIndex.Location> l = k.length == 32 ? Optional.ofNullable(r.relocated().get(ChunkKey.of(k)))
                        : Optional.empty();
                if (l.isPresent() && !goneSet.contains(l.get().packId())) {
                    moveKeys.add(HEX.formatHex(k));
                    movePacks.add(l.get().packId());
                    moveOffsets.add(l.get().entry().offset());
                    moveSizes.add(l.get().entry().compressedLength());
                } else {
                    drop.add(k);
                }
            }
            if (!moveKeys.isEmpty()) {
                moved = jdbc.sql("""
                                UPDATE chunks c SET pack_key = t.p, pack_offset = t.o, stored_bytes = t.s
                                FROM unnest(?::text[], ?::text[], ?::bigint[], ?::int[]) AS t(k, p, o, s)
                                WHERE c.key = decode(t.k, 'hex')""")
                        .params(moveKeys.toArray(String[]::new), movePacks.toArray(String[]::new),
                                moveOffsets.toArray(Long[]::new), moveSizes.toArray(Integer[]::new)).update();
            }
            if (!drop.isEmpty()) {
                removed = jdbc.sql("DELETE FROM chunks WHERE key = ANY (?)").param((Object) drop.toArray(byte[][]::new)).update();
            }
            jdbc.sql("DELETE FROM packs WHERE key = ANY (?)").param((Object) gone.toArray(String[]::new)).update();
        }
        for (PackSummary p : r.addedToIndex()) {
            jdbc.sql("INSERT INTO packs (key, size_bytes) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET size_bytes = excluded.size_bytes")
                    .params(p.id(), p.size()).update();
            List<String> k = new ArrayList<>();
            List<Long> o = new ArrayList<>();
            List<Integer> s = new ArrayList<>();
            for (PackIndexEntry e : p.entries()) {
                k.add(e.key().hex());
                o.add(e.offset());
                s.add(e.compressedLength());
            }
            // only chunks the catalog knows (of registered images) move; others stay unknown to it
            jdbc.sql("""
                            UPDATE chunks c SET pack_key = ?, pack_offset = t.o, stored_bytes = t.s
                            FROM unnest(?::text[], ?::bigint[], ?::int[]) AS t(k, o, s)
                            WHERE c.key = decode(t.k, 'hex') AND (c.pack_key IS NULL OR c.pack_key = ANY (?))""")
                    .params(p.id(), k.toArray(String[]::new), o.toArray(Long[]::new), s.toArray(Integer[]::new),
                            gone.toArray(String[]::new)).update();
            // From the reverse index, not the chunk lists: it holds exactly the images already applied
            // to the packs, so an image still pending is added once, by PackLiveBytesWorker, not twice.
            jdbc.sql("""
                            UPDATE packs SET live_bytes = (
                                SELECT coalesce(sum(c.stored_bytes), 0) FROM chunks c WHERE c.pack_key = ? AND EXISTS (
                                    SELECT 1 FROM image_chunks o JOIN images i ON i.id = o.image_id
                                    WHERE o.chunk_key = c.key AND i.state IN ('UPLOADING', 'COMPLETE')))
                            WHERE key = ?""")
                    .params(p.id(), p.id()).update();
        }
        return new Changes(moved, removed, gone.size(), r.addedToIndex().size());
    }
}
