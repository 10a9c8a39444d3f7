// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.pack.PackRepository;
import io.cryostash.catalog.quota.QuotaRepository;
import io.cryostash.catalog.retention.RetentionRepository;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.ImageRegistration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Images of the size of a 1 GiB process (23,658 chunks, as the pipeline benchmark's), registered
 * as a schedule would: an incremental chain where each image replaces a tenth of its parent's
 * chunks. Checks that the per-image chunk list and the reverse index filled from it answer what the
 * catalog asks (dedup statistics, what only some images hold, quotas, live bytes of packs) the same
 * before and after the reverse index has caught up, and prints what each step costs (the figures
 * in bench/RESULTS.md; nothing is timed against a limit).
 */
@CatalogTest
class LargeImageRegistrationTests {

    static final int CHUNKS = 23_658;
    static final int IMAGES = 6;

    @Autowired Fixtures fx;
    @Autowired ImageService images;
    @Autowired ImageRepository imageRows;
    @Autowired PackRepository packs;
    @Autowired RetentionRepository retention;
    @Autowired QuotaRepository quotas;
    @Autowired JdbcClient jdbc;

    /** Chunk {@code n} of generation {@code g}: a tenth of the chunks (n % 10 == g % 10) change in each generation. */
    static String key(long base, int n, int g) {
        int gen = g - Math.floorMod(g - n % 10, 10);
        return Fixtures.chunkKey(base + (long) Math.max(gen, 0) * 1_000_000 + n);
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }

    @Test
    void aChainOfLargeImagesRegistersWithoutARowPerChunkAndEveryQueryAgrees() throws Exception {
        var agent = fx.host("large");
        long base = 50_000_000_000L + (System.nanoTime() % 1000) * 100_000_000L;
        Instant t0 = Instant.now().minus(10, ChronoUnit.HOURS);
        List<String> ids = new ArrayList<>();
        StringBuilder out = new StringBuilder(String.format("%nregistering %d images of %d chunks (a tenth new in each):%n", IMAGES, CHUNKS));
        String parent = null;
        for (int g = 0; g < IMAGES; g++) {
            List<ChunkRef> refs = new ArrayList<>(CHUNKS);
            for (int n = 0; n < CHUNKS; n++) {
                refs.add(new ChunkRef(key(base, n, g), 45_000, 9_000L + n % 1000, "pack-large-" + base + "-" + g, (long) n * 10_000));
            }
            var r = fx.registration(agent, "large", t0.plus(g, ChronoUnit.HOURS), parent, 0, 0);
            r = new ImageRegistration(r.imageId(), r.hostId(), r.job(), Map.of(), r.capturedAt(), parent, (long) CHUNKS * 45_000,
                    (long) CHUNKS * 9_000, r.manifestKey(), r.signature(), r.process(), refs);
            long a = System.nanoTime();
            fx.register(agent, r);
            long b = System.nanoTime();
            ids.add(r.imageId());
            parent = r.imageId();
            // The packs and the reverse index catch up as PackLiveBytesWorker would; the image page reads it meanwhile.
            long c = System.nanoTime();
            var pending = imageRows.details(r.imageId(), 10).orElseThrow().chunks();
            long d = System.nanoTime();
            packs.applyLiveChanges();
            long e = System.nanoTime();
            var applied = imageRows.details(r.imageId(), 10).orElseThrow().chunks();
            long f = System.nanoTime();
            assertThat(pending.count()).isEqualTo(CHUNKS);
            assertThat(applied).as("chunk statistics before and after the reverse index caught up").isEqualTo(pending);
            int changed = 0;
            for (int n = 0; n < CHUNKS; n++) if (n % 10 == g % 10) changed++;
            // named by an earlier image too: every chunk but the tenth this generation replaced
            assertThat(applied.sharedWithOtherImages()).isEqualTo(g == 0 ? 0 : CHUNKS - changed);
            out.append(String.format("  image %d: registered in %.1f ms; image page chunk statistics %.1f ms (pending) / %.1f ms;"
                    + " worker (reverse index + pack live bytes) %.1f ms%n", g, ms(b - a), ms(d - c), ms(f - e), ms(e - d)));
        }
        long jobId = jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(ids.get(0)).query(Long.class).single();
        long a = System.nanoTime();
        long[] held = retention.bytesOnlyHeldBy(ids.subList(0, 3));
        long b = System.nanoTime();
        Map<String, Long> each = retention.bytesOnlyInEach(ids);
        long c = System.nanoTime();
        long usage = quotas.jobUsage(jobId);
        long d = System.nanoTime();
        out.append(String.format("  retention: bytes only the 3 oldest hold %.1f ms, each image's own bytes (%d images) %.1f ms;"
                + " job quota usage %.1f ms%n", ms(b - a), IMAGES, ms(c - b), ms(d - c)));
        System.out.println(out);

        // What only the 3 oldest hold: the chunks of generations 0-2 that the later images do not name.
        Map<String, Long> older = new java.util.HashMap<>();
        Map<String, Long> later = new java.util.HashMap<>();
        for (int g = 0; g < IMAGES; g++) {
            for (int n = 0; n < CHUNKS; n++) (g < 3 ? older : later).put(key(base, n, g), 9_000L + n % 1000);
        }
        long expectHeld = 0;
        long expectCount = 0;
        for (var e : older.entrySet()) {
            if (!later.containsKey(e.getKey())) {
                expectHeld += e.getValue();
                expectCount++;
            }
        }
        assertThat(held).containsExactly(expectHeld, expectCount);
        assertThat(each.get(ids.get(IMAGES - 1))).as("the newest image's own bytes").isPositive();
        // image 1 replaced chunks that image 0 names and kept what image 2 names: nothing is its own
        assertThat(each).as("an image whose every chunk another image names").doesNotContainKey(ids.get(1));
        Map<String, Long> all = new java.util.HashMap<>(older);
        all.putAll(later);
        assertThat(usage).isEqualTo(all.values().stream().mapToLong(Long::longValue).sum());
    }
}
