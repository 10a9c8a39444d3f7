// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.cryostash.schema.catalog.AreaSummary;
import io.cryostash.schema.catalog.FdSummary;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.catalog.ThreadSummary;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** The image_contents table: an image's threads, areas and descriptors as jsonb arrays (V3 says why). */
@Repository
public class ImageContentsRepository {

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public ImageContentsRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Stores the lists of a registration, areas by address and descriptors by number; nothing when all are empty. */
    public void insert(ImageRegistration r) {
        if (r.threadsOrEmpty().isEmpty() && r.areasOrEmpty().isEmpty() && r.fdsOrEmpty().isEmpty()) return;
        List<AreaSummary> areas = new ArrayList<>(r.areasOrEmpty());
        // Unsigned, as the kernel orders them: [vsyscall] sits above 2^63 and belongs last.
        areas.sort((a, b) -> Long.compareUnsigned(a.start(), b.start()));
        List<FdSummary> fds = new ArrayList<>(r.fdsOrEmpty());
        fds.sort(Comparator.comparingInt(FdSummary::fd));
        jdbc.sql("INSERT INTO image_contents (image_id, threads, areas, fds) VALUES (?, ?::jsonb, ?::jsonb, ?::jsonb)")
                .params(r.imageId(), json.writeValueAsString(r.threadsOrEmpty()), json.writeValueAsString(areas),
                        json.writeValueAsString(fds))
                .update();
    }

    /**
     * One slice of each list, in one statement. The slices are cut in PostgreSQL so that a page of
     * 200 areas does not ship all 100,000 to the JVM (the value is still detoasted whole).
     */
    public ImageContents read(String imageId, ImageContents.Window w) {
        return jdbc.sql("""
                        SELECT jsonb_array_length(threads), jsonb_array_length(areas), jsonb_array_length(fds),
                               (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]') FROM jsonb_array_elements(threads) WITH ORDINALITY t(e, n)
                                WHERE n > ? AND n <= ?)::text,
                               (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]') FROM jsonb_array_elements(areas) WITH ORDINALITY t(e, n)
                                WHERE n > ? AND n <= ?)::text,
                               (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]') FROM jsonb_array_elements(fds) WITH ORDINALITY t(e, n)
                                WHERE n > ? AND n <= ?)::text
                        FROM image_contents WHERE image_id = ?""")
                .params(w.threadsFrom(), (long) w.threadsFrom() + w.limit(), w.areasFrom(), (long) w.areasFrom() + w.limit(),
                        w.fdsFrom(), (long) w.fdsFrom() + w.limit(), imageId)
                .query((rs, i) -> new ImageContents(
                        new ImageContents.Slice<>(rs.getInt(1), w.threadsFrom(),
                                json.readValue(rs.getString(4), new TypeReference<List<ThreadSummary>>() {
                                })),
                        new ImageContents.Slice<>(rs.getInt(2), w.areasFrom(),
                                json.readValue(rs.getString(5), new TypeReference<List<AreaSummary>>() {
                                })),
                        new ImageContents.Slice<>(rs.getInt(3), w.fdsFrom(),
                                json.readValue(rs.getString(6), new TypeReference<List<FdSummary>>() {
                                }))))
                .optional()
                .orElseGet(() -> ImageContents.empty(w));
    }
}
