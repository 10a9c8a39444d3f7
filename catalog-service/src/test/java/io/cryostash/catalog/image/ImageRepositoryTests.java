// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.catalog.system.Page;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.ImageRegistration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ImageRepository} on its own against the real PostgreSQL: the searches, sorts and pages the
 * image list makes, with rows written by the repository itself (no HTTP, no services).
 */
@CatalogTest
class ImageRepositoryTests {

    @Autowired ImageRepository images;
    @Autowired HostRepository hosts;
    @Autowired JobRepository jobs;
    @Autowired Fixtures fx;
    @Autowired org.springframework.jdbc.core.simple.JdbcClient jdbc;
    @Autowired tools.jackson.databind.json.JsonMapper json;
    @Autowired ImageContentsRepository contents;

    String host;
    String otherHost;
    final Instant t0 = Instant.parse("2025-06-01T00:00:00Z");

    @BeforeEach
    void hosts() {
        host = Fixtures.unique("repo-host");
        otherHost = Fixtures.unique("repo-other");
        hosts.insert(host, "Repo " + host);
        hosts.insert(otherHost, "Repo " + otherHost);
    }

    /** An image of {@code job} captured {@code hours} after t0 with the given sizes and labels. */
    String insert(String hostId, String job, int hours, long logical, long stored, Map<String, String> labels) {
        var base = fx.registration(new Fixtures.Agent(hostId, null), job, t0.plus(hours, ChronoUnit.HOURS), null, 0, 0);
        var r = new ImageRegistration(base.imageId(), hostId, job, labels, base.capturedAt(), null, logical, stored,
                "manifests/" + base.imageId(), "sig", base.process(), List.of());
        assertThat(images.insertWithJob(r, jobs.labelsJson(labels))).isPresent();
        return r.imageId();
    }

    Page<ImageSummary> find(String job, String label, ImageState state, Instant from, Instant to, String sort, String dir,
                            int page, int size) {
        return images.find(new ImageFilter(host, job, label, state, from, to, null, sort, dir), page, size);
    }

    static List<String> ids(Page<ImageSummary> p) {
        return p.items().stream().map(ImageSummary::id).toList();
    }

    @Test
    void filtersByHostJobLabelStateAndTime() {
        String a = insert(host, "alpha", 0, 100, 10, Map.of("team", "physics"));
        String b = insert(host, "alpha", 1, 300, 30, Map.of("team", "physics"));
        String c = insert(host, "beta", 2, 200, 20, Map.of("team", "chemistry"));
        String other = insert(otherHost, "alpha", 3, 999, 99, Map.of("team", "physics"));
        images.setState(b, ImageState.EXPIRED);

        assertThat(ids(find(null, null, null, null, null, null, null, 0, 50))).containsExactly(c, b, a);
        assertThat(ids(find("alpha", null, null, null, null, null, null, 0, 50))).containsExactly(b, a);
        // The job filter without a host finds that job on every host.
        assertThat(ids(images.find(new ImageFilter(null, "alpha", null, null, null, null, null, null, null), 0, 500)))
                .contains(a, b, other).doesNotContain(c);
        assertThat(ids(find(null, "team=chemistry", null, null, null, null, null, 0, 50))).containsExactly(c);
        assertThat(ids(find(null, "team=biology", null, null, null, null, null, 0, 50))).isEmpty();
        assertThat(ids(find(null, null, ImageState.EXPIRED, null, null, null, null, 0, 50))).containsExactly(b);
        assertThat(ids(find(null, null, ImageState.COMPLETE, null, null, null, null, 0, 50))).containsExactly(c, a);
        // from is inclusive, to exclusive.
        assertThat(ids(find(null, null, null, t0.plus(1, ChronoUnit.HOURS), t0.plus(2, ChronoUnit.HOURS), null, null, 0, 50)))
                .containsExactly(b);
        assertThat(ids(images.find(new ImageFilter(host, null, null, null, null, null, a.substring(0, a.length() - 1), null, null), 0, 50)))
                .contains(a);
        assertThatThrownBy(() -> find(null, "no-equals-sign", null, null, null, null, null, 0, 50))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sortsByEveryAcceptedKeyInBothDirections() {
        String small = insert(host, "b-job", 0, 100, 30, Map.of());
        String large = insert(host, "a-job", 1, 300, 10, Map.of());
        String mid = insert(host, "c-job", 2, 200, 20, Map.of());
        assertThat(ids(find(null, null, null, null, null, "capturedAt", "asc", 0, 50))).containsExactly(small, large, mid);
        assertThat(ids(find(null, null, null, null, null, "logicalBytes", "desc", 0, 50))).containsExactly(large, mid, small);
        assertThat(ids(find(null, null, null, null, null, "storedBytes", "asc", 0, 50))).containsExactly(large, mid, small);
        assertThat(ids(find(null, null, null, null, null, "job", "asc", 0, 50))).containsExactly(large, small, mid);
        assertThat(ids(find(null, null, null, null, null, "job", "DESC", 0, 50))).containsExactly(mid, small, large);
        assertThatThrownBy(() -> find(null, null, null, null, null, "id; DROP TABLE images", "asc", 0, 50))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sort must be one of");
        assertThatThrownBy(() -> find(null, null, null, null, null, "job", "sideways", 0, 50))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pagesAreStableAndTheTotalIsCappedTenPagesAhead() {
        for (int i = 0; i < 25; i++) insert(host, "paged", i, i, i, Map.of());
        Page<ImageSummary> first = find("paged", null, null, null, null, "capturedAt", "asc", 0, 10);
        Page<ImageSummary> third = find("paged", null, null, null, null, "capturedAt", "asc", 2, 10);
        assertThat(first.items()).hasSize(10);
        assertThat(first.total()).isEqualTo(25);
        assertThat(first.totalExact()).isTrue();
        assertThat(third.items()).hasSize(5);
        assertThat(third.hasNext()).isFalse();
        assertThat(first.items().get(0).capturedAt()).isEqualTo(t0);
        assertThat(third.items().get(4).capturedAt()).isEqualTo(t0.plus(24, ChronoUnit.HOURS));
        // With size 2 only pages up to ten past this one are counted: "more than 21".
        Page<ImageSummary> small = find("paged", null, null, null, null, "capturedAt", "asc", 0, 2);
        assertThat(small.totalExact()).isFalse();
        assertThat(small.total()).isEqualTo(Page.countCap(0, 2) - 1);
        assertThat(small.hasNext()).isTrue();
    }

    @Test
    void insertingTheSameImageTwiceInsertsNothingAndChunkLinksAreUnique() {
        String id = insert(host, "dup", 0, 1, 1, Map.of());
        var again = new ImageRegistration(id, host, "dup", Map.of(), t0, null, 1, 1, "manifests/other", "sig",
                fx.registration(new Fixtures.Agent(host, null), "dup", t0, null, 0, 0).process(), List.of());
        assertThat(images.insertWithJob(again, jobs.labelsJson(Map.of()))).isEmpty();
        assertThat(images.manifestKey(id)).contains("manifests/" + id);
        String key = Fixtures.chunkKey(123_456_789_000L);
        images.insertChunks(id, List.of(new ChunkRef(key, 10, 5L, "p", 0L), new ChunkRef(key, 10, 5L, "p", 0L)));
        var details = images.details(id, 10).orElseThrow();
        assertThat(details.chunks().count()).isEqualTo(1);
        assertThat(details.chunks().first()).extracting(ImageDetails.ChunkRow::key).containsExactly(key);
    }

    /**
     * An incremental image sends to the chunk table only the chunks its live parent does not name,
     * all of them when the parent is not live, and the answer is the same whether the parent's list
     * is at hand in memory or comes from the database.
     */
    @Test
    void anIncrementalImageAddsOnlyWhatItsLiveParentDoesNotNameWithOrWithoutItsListInMemory() {
        var uncached = new ImageRepository(jdbc, json, contents, new RecentChunkLists(0));
        long base = 987_000_000L + (System.nanoTime() % 1000) * 1000;
        java.util.function.IntFunction<ChunkRef> c = n -> new ChunkRef(Fixtures.chunkKey(base + n), 10, 5L, "p", (long) n);
        java.util.function.Function<int[], List<ChunkRef>> refs = ns -> java.util.Arrays.stream(ns).mapToObj(c).toList();
        String parent = insert(host, "inc", 0, 1, 1, Map.of());
        assertThat(images.insertChunks(parent, null, refs.apply(new int[] {5, 1, 3, 2, 4}))).isEqualTo(5);
        int[] child = {3, 8, 4, 5, 6, 7, 3};
        assertThat(images.insertChunks(insert(host, "inc", 1, 1, 1, Map.of()), parent, refs.apply(child)))
                .as("parent's list in memory").isEqualTo(3);
        assertThat(uncached.insertChunks(insert(host, "inc", 2, 1, 1, Map.of()), parent, refs.apply(child)))
                .as("parent's list from the database").isEqualTo(3);
        images.setState(parent, ImageState.DELETED);
        assertThat(images.insertChunks(insert(host, "inc", 3, 1, 1, Map.of()), parent, refs.apply(child)))
                .as("dead parent, list in memory").isEqualTo(6);
        assertThat(uncached.insertChunks(insert(host, "inc", 4, 1, 1, Map.of()), parent, refs.apply(child)))
                .as("dead parent, list from the database").isEqualTo(6);
        for (int n = 1; n <= 8; n++) {
            assertThat(jdbc.sql("SELECT count(*) FROM chunks WHERE key = decode(?, 'hex')").param(Fixtures.chunkKey(base + n))
                    .query(Long.class).single()).as("chunk row " + n).isEqualTo(1);
        }
    }

    @Test
    void keysNotInTheParentAreFoundByMergingSortedLists() {
        var random = new java.util.Random(7);
        for (int round = 0; round < 200; round++) {
            java.util.TreeSet<byte[]> child = new java.util.TreeSet<>(java.util.Arrays::compareUnsigned);
            java.util.TreeSet<byte[]> parent = new java.util.TreeSet<>(java.util.Arrays::compareUnsigned);
            for (int i = random.nextInt(60); i > 0; i--) child.add(new byte[] {(byte) random.nextInt(40), (byte) random.nextInt(3)});
            for (int i = random.nextInt(60); i > 0; i--) parent.add(new byte[] {(byte) random.nextInt(40), (byte) random.nextInt(3)});
            byte[][] keys = child.toArray(byte[][]::new);
            List<Long> expected = new java.util.ArrayList<>();
            for (int i = 0; i < keys.length; i++) if (!parent.contains(keys[i])) expected.add(i + 1L);
            assertThat(RecentChunkLists.notIn(keys, parent.toArray(byte[][]::new))).containsExactly(expected.stream().mapToLong(Long::longValue).toArray());
        }
    }

    @Test
    void keptListsAreBoundedByKeysOldestUseFirst() {
        var lists = new RecentChunkLists(5);
        lists.keep("a", new byte[2][]);
        lists.keep("b", new byte[2][]);
        assertThat(lists.get("a")).isNotNull(); // a is now the most recently used
        lists.keep("c", new byte[2][]);
        assertThat(lists.get("b")).isNull();
        assertThat(lists.get("a")).isNotNull();
        assertThat(lists.get("c")).isNotNull();
        lists.keep("d", new byte[6][]);
        assertThat(lists.get("d")).as("a list larger than the bound is not kept").isNull();
    }
}
