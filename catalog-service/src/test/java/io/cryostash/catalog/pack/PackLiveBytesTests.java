// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pack;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.image.ImageRepository;
import io.cryostash.catalog.image.ImageState;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.ImageRegistration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.*;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

/**
 * live_bytes of packs follows registrations, deletions and expiry, through the real API and database.
 * The packs are updated by {@link PackRepository#applyLiveChanges} (the worker's run), which every
 * check calls first; each check also compares with a recount from scratch.
 */
@CatalogTest
class PackLiveBytesTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired PackRepository packs;
    @Autowired JdbcClient jdbc;
    @Autowired JsonMapper json;
    @Autowired ImageRepository images;
    @Autowired PlatformTransactionManager transactions;

    /** Chunk n of a test: stored size 1000 + n, at offset 10,000 * n of its pack. */
    static ChunkRef chunk(long n, String pack) {
        return new ChunkRef(Fixtures.chunkKey(n), 65536, 1000L + (n % 1000), pack, (n % 1000) * 10_000);
    }

    ImageRegistration image(Fixtures.Agent agent, String job, Instant at, List<ChunkRef> chunks) {
        var r = fx.registration(agent, job, at, null, 0, 0);
        return new ImageRegistration(r.imageId(), r.hostId(), r.job(), r.jobLabels(), r.capturedAt(), null,
                r.logicalBytes(), r.storedBytes(), "manifests/" + r.imageId(), r.signature(), r.process(), chunks);
    }

    long live(String pack) {
        return packs.find(pack).orElseThrow().liveBytes();
    }

    /** Applies the queued changes as the worker would (the scheduled worker may have done so already). */
    void applied() {
        packs.applyLiveChanges();
    }

    void assertLive(String pack, long expected) {
        applied();
        assertThat(live(pack)).as("live_bytes of " + pack).isEqualTo(expected);
        assertThat(packs.countLiveBytes(pack)).as("recounted live bytes of " + pack).isEqualTo(expected);
    }

    void deleteImage(String id) throws Exception {
        mvc.perform(delete("/api/images/{id}", id).with(user("a").roles("ADMIN")).with(csrf())).andExpect(status().isNoContent());
    }

    @Test
    void sharedChunksCountOnceAndStayLiveUntilTheLastImageNamingThemGoes() throws Exception {
        var agent = fx.host("packs");
        String p1 = Fixtures.unique("pack-a");
        String p2 = Fixtures.unique("pack-b");
        long base = 7_000_000 + (System.nanoTime() % 1000) * 1000;
        // a: chunks 1, 2 in p1 and 3 in p2; b: chunk 2 again (deduplicated) and 4 in p2.
        String a = fx.register(agent, image(agent, "sim", Instant.now(), List.of(chunk(base + 1, p1), chunk(base + 2, p1), chunk(base + 3, p2))));
        long c1 = 1000 + (base + 1) % 1000, c2 = 1000 + (base + 2) % 1000, c3 = 1000 + (base + 3) % 1000, c4 = 1000 + (base + 4) % 1000;
        assertLive(p1, c1 + c2);
        assertLive(p2, c3);
        // The chunk that another registration names in another pack keeps the pack it was first stored in.
        String b = fx.register(agent, image(agent, "sim", Instant.now(), List.of(chunk(base + 2, p2), chunk(base + 4, p2))));
        assertLive(p1, c1 + c2);
        assertLive(p2, c3 + c4);
        assertThat(packs.find(p1).orElseThrow().sizeBytes()).isEqualTo((base + 2) % 1000 * 10_000 + c2);

        deleteImage(a);
        assertLive(p1, c2);          // chunk 2 is still named by b
        assertLive(p2, c4);
        mvc.perform(delete("/api/images/{id}", a).with(user("a").roles("ADMIN")).with(csrf())).andExpect(status().isConflict());
        assertLive(p1, c2);          // a second delete takes nothing off again
        deleteImage(b);
        assertLive(p1, 0);
        assertLive(p2, 0);
        // A new image naming a chunk of a dead image makes it live again.
        fx.register(agent, image(agent, "sim", Instant.now(), List.of(chunk(base + 1, p1))));
        assertLive(p1, c1);
        assertThat(packs.find(p1).orElseThrow().sizeBytes()).isGreaterThanOrEqualTo(c2);
    }

    @Test
    void chunksWithoutAPackMakeNoPackRow() throws Exception {
        var agent = fx.host("nopack");
        long base = 7_500_000 + (System.nanoTime() % 1000) * 1000;
        String id = fx.register(agent, image(agent, "sim", Instant.now(),
                List.of(new ChunkRef(Fixtures.chunkKey(base), 100, 50L, null, null))));
        assertThat(jdbc.sql("""
                        SELECT count(*) FROM packs p JOIN chunks c ON c.pack_key = p.key
                        JOIN image_chunk_lists l ON c.key = ANY (l.keys) WHERE l.image_id = ?""")
                .param(id).query(Long.class).single()).isZero();
    }

    @Test
    void expiredImagesStopCounting() throws Exception {
        var agent = fx.host("expire");
        String pack = Fixtures.unique("pack-e");
        long base = 8_000_000 + (System.nanoTime() % 1000) * 1000;
        Instant t0 = Instant.now().minus(3, ChronoUnit.HOURS);
        String old = fx.register(agent, image(agent, "exp", t0, List.of(chunk(base + 1, pack), chunk(base + 2, pack))));
        fx.register(agent, image(agent, "exp", t0.plus(1, ChronoUnit.HOURS), List.of(chunk(base + 2, pack), chunk(base + 3, pack))));
        long c2 = 1000 + (base + 2) % 1000, c3 = 1000 + (base + 3) % 1000, c1 = 1000 + (base + 1) % 1000;
        assertLive(pack, c1 + c2 + c3);
        long job = jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(old).query(Long.class).single();
        String created = mvc.perform(post("/api/retention-policies").with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json")
                        .content("{\"name\":\"%s\",\"jobId\":%d,\"keepLast\":1}".formatted(Fixtures.unique("keep1"), job)))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        long policy = json.readTree(created).get("id").asLong();
        mvc.perform(post("/api/retention-policies/{id}/apply", policy).param("dryRun", "true").with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isOk());
        assertLive(pack, c1 + c2 + c3);
        mvc.perform(post("/api/retention-policies/{id}/apply", policy).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isOk()).andExpect(jsonPath("$.jobs[0].expired[*].id", contains(old)));
        assertLive(pack, c2 + c3);
        // Deleting an expired image changes nothing more: its chunks stopped counting when it expired.
        deleteImage(old);
        assertLive(pack, c2 + c3);
    }

    @Test
    void concurrentRegistrationsAndDeletionsKeepLiveBytesExact() throws Exception {
        var agent = fx.host("race");
        String pack = Fixtures.unique("pack-r");
        long base = 9_000_000 + (System.nanoTime() % 1000) * 1000;
        // Twelve images, each naming 8 of 20 chunks of one pack, so that most chunks are shared.
        List<ImageRegistration> regs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            List<ChunkRef> cs = new ArrayList<>();
            for (int j = 0; j < 8; j++) cs.add(chunk(base + (i * 3 + j) % 20, pack));
            regs.add(image(agent, "race", Instant.now(), cs));
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<String>> done = new ArrayList<>();
            for (var r : regs) done.add(pool.submit(() -> fx.register(agent, r)));
            for (var f : done) f.get();
            assertLive(pack, packs.countLiveBytes(pack));
            assertThat(live(pack)).isPositive();
            List<Future<?>> deletes = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                String id = regs.get(i).imageId();
                deletes.add(pool.submit(() -> { deleteImage(id); return null; }));
            }
            for (var f : deletes) f.get();
            assertLive(pack, packs.countLiveBytes(pack));
            assertThat(live(pack)).isPositive();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Two deletions of images that share a chunk, interleaved so that the second queues its change
     * while the first is still uncommitted, and the worker runs in between. Each sees the other image
     * still live; the shared chunk must still come off exactly once.
     */
    @Test
    void interleavedDeletionsOfImagesSharingAChunkTakeItOffOnce() throws Exception {
        var agent = fx.host("interleave");
        String pack = Fixtures.unique("pack-i");
        long base = 9_700_000 + (System.nanoTime() % 1000) * 1000;
        String a = fx.register(agent, image(agent, "i", Instant.now(), List.of(chunk(base + 1, pack), chunk(base + 2, pack))));
        String b = fx.register(agent, image(agent, "i", Instant.now(), List.of(chunk(base + 2, pack))));
        long c1 = 1000 + (base + 1) % 1000, c2 = 1000 + (base + 2) % 1000;
        assertLive(pack, c1 + c2);
        var tx = new TransactionTemplate(transactions);
        var firstChanged = new CountDownLatch(1);
        var secondStarted = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> first = pool.submit(() -> tx.executeWithoutResult(s -> {
                images.setState(a, ImageState.DELETED);
                packs.imagesChanged(List.of(a), -1);
                firstChanged.countDown();
                await(secondStarted);
                packs.applyLiveChanges();  // another connection: sees neither deletion yet
            }));
            Future<?> second = pool.submit(() -> {
                await(firstChanged);
                tx.executeWithoutResult(s -> {
                    images.setState(b, ImageState.DELETED);
                    secondStarted.countDown();
                    packs.imagesChanged(List.of(b), -1);
                });
            });
            first.get(30, TimeUnit.SECONDS);
            second.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertLive(pack, 0);
    }

    /**
     * Incremental images skip the chunks their live parent names (the run does not probe them): whatever
     * changes one run applies together (a child registered as its parent is deleted, a parent and its
     * child registered in one run, the parent of a new image deleted in the same run), live_bytes stays
     * what a recount from scratch says.
     */
    @Test
    void chainsOfIncrementalImagesCountEachChunkOnceWhateverARunAppliesTogether() throws Exception {
        var agent = fx.host("chains");
        String pack = Fixtures.unique("pack-c");
        long base = 9_900_000 + (System.nanoTime() % 1000) * 1000;
        long[] c = new long[10];
        for (int i = 1; i < c.length; i++) c[i] = 1000 + (base + i) % 1000;
        var tx = new TransactionTemplate(transactions);
        java.util.function.BiFunction<String, int[], ImageRegistration> child = (parent, ns) -> {
            var r = image(agent, "chain", Instant.now(), java.util.Arrays.stream(ns).mapToObj(n -> chunk(base + n, pack)).toList());
            return new ImageRegistration(r.imageId(), r.hostId(), r.job(), r.jobLabels(), r.capturedAt(), parent,
                    r.logicalBytes(), r.storedBytes(), r.manifestKey(), r.signature(), r.process(), r.chunks());
        };
        java.util.function.Consumer<ImageRegistration> register = r -> {
            images.insertWithJob(r, "{}").orElseThrow();
            images.insertChunks(r.imageId(), r.parentId(), r.chunks());
            packs.imagesChanged(List.of(r.imageId()), +1);
        };
        java.util.function.Consumer<String> delete = id -> {
            images.setState(id, ImageState.DELETED);
            packs.imagesChanged(List.of(id), -1);
        };
        var p = child.apply(null, new int[] {1, 2, 3});
        tx.executeWithoutResult(s -> register.accept(p));
        assertLive(pack, c[1] + c[2] + c[3]);
        var n1 = child.apply(p.imageId(), new int[] {1, 2, 4});
        tx.executeWithoutResult(s -> register.accept(n1));
        assertLive(pack, c[1] + c[2] + c[3] + c[4]);
        // a child of n1 registered in the run that takes n1 away: p {1,2,3} and n2 {1,4,5} are left
        var n2 = child.apply(n1.imageId(), new int[] {1, 4, 5});
        tx.executeWithoutResult(s -> {
            register.accept(n2);
            delete.accept(n1.imageId());
        });
        assertLive(pack, c[1] + c[2] + c[3] + c[4] + c[5]);
        // p goes while a child of n2 comes: n2 {1,4,5} and n3 {1,5,6}
        var n3 = child.apply(n2.imageId(), new int[] {1, 5, 6});
        tx.executeWithoutResult(s -> {
            delete.accept(p.imageId());
            register.accept(n3);
        });
        assertLive(pack, c[1] + c[4] + c[5] + c[6]);
        // a parent and its child in one run, the grandparent deleted in it too: n4 {1,6,7}, n5 {6,7,8}
        var n4 = child.apply(n3.imageId(), new int[] {1, 6, 7});
        var n5 = child.apply(n4.imageId(), new int[] {6, 7, 8});
        tx.executeWithoutResult(s -> {
            register.accept(n4);
            register.accept(n5);
            delete.accept(n2.imageId());
        });
        assertLive(pack, c[1] + c[5] + c[6] + c[7] + c[8]);
        // a chunk only the deleted parent named goes, one the child re-names stays: n6 {6,9}
        var n6 = child.apply(n5.imageId(), new int[] {6, 9});
        tx.executeWithoutResult(s -> {
            delete.accept(n3.imageId());
            delete.accept(n4.imageId());
            delete.accept(n5.imageId());
            register.accept(n6);
        });
        assertLive(pack, c[6] + c[9]);
        tx.executeWithoutResult(s -> delete.accept(n6.imageId()));
        assertLive(pack, 0);
    }

    /**
     * The worker runs while a registration and a deletion naming the same chunks are uncommitted: it
     * must neither count them nor lose them, and the next run must count them exactly.
     */
    @Test
    void aRunDuringUncommittedChangesLeavesThemForTheNextRun() throws Exception {
        var agent = fx.host("midrun");
        String pack = Fixtures.unique("pack-m");
        long base = 9_800_000 + (System.nanoTime() % 1000) * 1000;
        long c1 = 1000 + (base + 1) % 1000, c2 = 1000 + (base + 2) % 1000, c3 = 1000 + (base + 3) % 1000;
        String a = fx.register(agent, image(agent, "m", Instant.now(), List.of(chunk(base + 1, pack), chunk(base + 2, pack))));
        assertLive(pack, c1 + c2);
        // Registered behind the API's back so that its transaction can stay open: b names chunks 2 and 3.
        var b = image(agent, "m", Instant.now(), List.of(chunk(base + 2, pack), chunk(base + 3, pack)));
        var tx = new TransactionTemplate(transactions);
        var written = new CountDownLatch(1);
        var applied = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<?> open = pool.submit(() -> tx.executeWithoutResult(s -> {
                images.setState(a, ImageState.DELETED);
                packs.imagesChanged(List.of(a), -1);
                images.insertWithJob(b, "{}").orElseThrow();
                images.insertChunks(b.imageId(), b.chunks());
                packs.imagesChanged(List.of(b.imageId()), +1);
                written.countDown();
                await(applied);
            }));
            await(written);
            packs.applyLiveChanges();
            assertThat(live(pack)).as("live_bytes while the changes are uncommitted").isEqualTo(c1 + c2);
            applied.countDown();
            open.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertLive(pack, c2 + c3);
    }

    static void await(CountDownLatch l) {
        try {
            if (!l.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("timed out");
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void packsAreListedWithTheirLiveBytes() throws Exception {
        var agent = fx.host("list");
        String prefix = Fixtures.unique("listpack");
        long base = 9_500_000 + (System.nanoTime() % 1000) * 1000;
        String keep = fx.register(agent, image(agent, "l", Instant.now(), List.of(chunk(base + 1, prefix + "/x"))));
        String gone = fx.register(agent, image(agent, "l", Instant.now(), List.of(chunk(base + 2, prefix + "/y"))));
        deleteImage(gone);
        applied();
        mvc.perform(get("/api/packs").param("prefix", prefix).with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.items[*].key", contains(prefix + "/x", prefix + "/y")))
                .andExpect(jsonPath("$.items[0].liveBytes").value(1000 + (base + 1) % 1000))
                .andExpect(jsonPath("$.items[1].liveBytes").value(0));
        mvc.perform(get("/api/packs").param("prefix", prefix).param("sort", "leastLive").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.items[*].key", contains(prefix + "/y", prefix + "/x")));
        mvc.perform(get("/api/packs/one").param("key", prefix + "/x").with(user("v").roles("VIEWER")))
                .andExpect(status().isOk()).andExpect(jsonPath("$.sizeBytes").value((base + 1) % 1000 * 10_000 + 1000 + (base + 1) % 1000));
        mvc.perform(get("/api/packs").param("sort", "fullest").with(user("v").roles("VIEWER")))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", contains("sort: must be key or leastLive")));
        assertThat(keep).isNotNull();
    }
}
