// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import java.io.IOException;
import java.util.List;

import io.cryostash.store.backend.Backend;
import io.cryostash.schema.store.StoreFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Removes from the store the manifests of images the catalog expired or deleted, so that garbage
 * collection stops counting their chunks. Each image is marked ({@code manifest_deleted_at}) only
 * once its manifest is gone, so a store that is away only delays this: the next run tries again.
 * Deleting a manifest never breaks another image: every image names all of its chunks, and GC keeps
 * every chunk a remaining manifest names.
 */
@Component
public class ManifestDeletion {

    private static final Logger log = LoggerFactory.getLogger(ManifestDeletion.class);
    private static final int BATCH = 1000;
    private final JdbcClient jdbc;

    public ManifestDeletion(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    private record Pending(String id, String manifestKey) {
    }

    /** How many expired or deleted images still have their manifest in the store (as far as the catalog knows). */
    public long pending() {
        return jdbc.sql("SELECT count(*) FROM images WHERE state IN ('EXPIRED', 'DELETED') AND manifest_deleted_at IS NULL")
                .query(Long.class).single();
    }

    /** The store image ids whose manifests a run would delete (for a dry run's reckoning). */
    public java.util.Set<String> pendingImageIds() {
        java.util.Set<String> out = new java.util.HashSet<>();
        jdbc.sql("SELECT id, manifest_key FROM images WHERE state IN ('EXPIRED', 'DELETED') AND manifest_deleted_at IS NULL")
                .query((rs, i) -> new Pending(rs.getString(1), rs.getString(2))).list().forEach(p -> {
                    String o = objectName(p);
                    if (o != null) out.add(o.substring(StoreFormat.MANIFESTS.length()));
                });
        return out;
    }

    /** Deletes every pending manifest; returns how many images it settled. */
    public int run(Backend store) throws IOException {
        int done = 0;
        while (true) {
            List<Pending> batch = jdbc.sql("""
                            SELECT id, manifest_key FROM images
                            WHERE state IN ('EXPIRED', 'DELETED') AND manifest_deleted_at IS NULL
                            ORDER BY state_changed_at, id LIMIT ?""")
                    .param(BATCH).query((rs, i) -> new Pending(rs.getString(1), rs.getString(2))).list();
            if (batch.isEmpty()) return done;
            for (Pending p : batch) {
                String object = objectName(p);
                if (object != null) {
                    store.delete(object); // idempotent: a manifest already gone is fine
                } else {
                    log.warn("image {} names no manifest in the store ({}); marking it done", p.id(), p.manifestKey());
                }
                jdbc.sql("UPDATE images SET manifest_deleted_at = now() WHERE id = ? AND state IN ('EXPIRED', 'DELETED')")
                        .param(p.id()).update();
                done++;
            }
            if (batch.size() < BATCH) return done;
        }
    }

    /**
     * The manifest's object: the registered manifest key when it is one ({@code manifests/<64 hex>}),
     * else {@code manifests/<image id>} when the image id is a store image id; null when neither.
     */
    static String objectName(Pending p) {
        if (p.manifestKey() != null && p.manifestKey().matches(StoreFormat.MANIFESTS + "[0-9a-f]{64}")) return p.manifestKey();
        if (p.id().matches("[0-9a-f]{64}")) return StoreFormat.MANIFESTS + p.id();
        return null;
    }
}
