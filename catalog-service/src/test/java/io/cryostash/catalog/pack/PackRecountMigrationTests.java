// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pack;

import java.sql.Connection;
import java.sql.Statement;

import javax.sql.DataSource;

import io.cryostash.catalog.CatalogTest;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.springframework.boot.flyway.autoconfigure.FlywayDataSource;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * V5 on a database from before the packs' live bytes were kept: images and chunks exist, no pack
 * row counts them, and a change still sits in the queue. After V5 every pack holds what a recount
 * gives and the queue is empty, so the worker cannot apply that change a second time. Runs the real
 * migrations into a schema of its own, up to V4 first.
 */
@CatalogTest
class PackRecountMigrationTests {
    /** The owner role's connections: the catalog's own role may not create schemas. */
    @Autowired @FlywayDataSource DataSource dataSource;

    @Test
    void v5RecountsPacksOfImagesRegisteredBeforeV4() throws Exception {
        String schema = "v5check_" + System.nanoTime();
        Flyway.configure().dataSource(dataSource).schemas(schema).locations("classpath:db/migration").target("4")
                .load().migrate();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("SET search_path TO " + schema);
            s.execute("INSERT INTO hosts (id, name) VALUES ('h', 'h')");
            s.execute("INSERT INTO jobs (host_id, name) VALUES ('h', 'j')");
            String img = "INSERT INTO images (id, host_id, job_id, captured_at, state, logical_bytes, stored_bytes,"
                    + " manifest_key, signature) SELECT '%s', 'h', id, now(), '%s', 0, 0, 'm', 's' FROM jobs";
            s.execute(img.formatted("live", "COMPLETE"));
            s.execute(img.formatted("gone", "DELETED"));
            // pack p: chunk 1 (100 B) named by the live image and the deleted one, chunk 2 (30 B) only by
            // the deleted one; pack q: chunk 3 (7 B) named by the live image
            s.execute("INSERT INTO chunks (key, pack_key, pack_offset, raw_bytes, stored_bytes) VALUES"
                    + " (decode(repeat('01', 32), 'hex'), 'p', 0, 4096, 100),"
                    + " (decode(repeat('02', 32), 'hex'), 'p', 100, 4096, 30),"
                    + " (decode(repeat('03', 32), 'hex'), 'q', 0, 4096, 7)");
            s.execute("INSERT INTO image_chunks (image_id, chunk_key) VALUES"
                    + " ('live', decode(repeat('01', 32), 'hex')), ('gone', decode(repeat('01', 32), 'hex')),"
                    + " ('gone', decode(repeat('02', 32), 'hex')), ('live', decode(repeat('03', 32), 'hex'))");
            s.execute("INSERT INTO pack_live_changes (image_id, sign) VALUES ('live', 1)");
            s.execute("SET search_path TO DEFAULT"); // the connection goes back to the pool the other tests use
        }
        Flyway.configure().dataSource(dataSource).schemas(schema).locations("classpath:db/migration").load().migrate();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("SET search_path TO " + schema);
            var rs = s.executeQuery("SELECT key, live_bytes, size_bytes FROM packs ORDER BY key");
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("p");
            assertThat(rs.getLong(2)).as("chunk 1 only: chunk 2 is named by a deleted image alone").isEqualTo(100);
            assertThat(rs.getLong(3)).isEqualTo(130);
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("q");
            assertThat(rs.getLong(2)).isEqualTo(7);
            assertThat(rs.next()).isFalse();
            var queue = s.executeQuery("SELECT count(*) FROM pack_live_changes");
            queue.next();
            assertThat(queue.getLong(1)).as("the queued change is in the recount already").isZero();
            s.execute("SET search_path TO DEFAULT");
            s.execute("DROP SCHEMA " + schema + " CASCADE");
        }
    }
}
