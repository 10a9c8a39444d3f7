// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.schema.catalog.AreaSummary;
import io.cryostash.schema.catalog.ChunkQuery;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.FdSummary;
import io.cryostash.schema.catalog.ThreadSummary;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.catalog.ImageRegistration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.*;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

@CatalogTest
class ImageApiTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired ImageService images;
    @Autowired io.cryostash.catalog.pack.PackRepository packs;

    @Test
    void registeredImageIsStoredWithItsChunksAndJob() throws Exception {
        var agent = fx.host("node");
        ImageRegistration r = fx.registration(agent, "sim", Instant.parse("2026-11-27T10:00:00Z"), null, 10_000, 5);
        fx.register(agent, r);

        assertThat(jdbc.sql("SELECT state FROM images WHERE id = ?").param(r.imageId()).query(String.class).single())
                .isEqualTo("COMPLETE");
        // One list row names the five chunks; the reverse index gets them from it within seconds.
        assertThat(jdbc.sql("SELECT cardinality(keys) FROM image_chunk_lists WHERE image_id = ?").param(r.imageId())
                .query(Long.class).single()).isEqualTo(5L);
        packs.applyLiveChanges();
        assertThat(jdbc.sql("SELECT count(*) FROM image_chunks WHERE image_id = ?").param(r.imageId()).query(Long.class).single())
                .isEqualTo(5L);
        mvc.perform(get("/api/images/{id}", r.imageId()).with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.job").value("sim"))
                .andExpect(jsonPath("$.jobLabels.team").value("physics"))
                .andExpect(jsonPath("$.process.threads").value(4))
                .andExpect(jsonPath("$.arch").value("x86_64"))
                .andExpect(jsonPath("$.chunks.count").value(5))
                .andExpect(jsonPath("$.chunks.rawBytes").value(5 * 65536))
                .andExpect(jsonPath("$.chunks.first", hasSize(5)));
    }

    @Test
    void threadsAreasAndFilesSentWithARegistrationComeBackInTheDetails() throws Exception {
        var agent = fx.host("node");
        ImageRegistration r = Fixtures.withContents(fx.registration(agent, "sim", Instant.now(), null, 15_000, 2));
        fx.register(agent, r);
        mvc.perform(get("/api/images/{id}", r.imageId()).with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.contents.threads.total").value(2))
                .andExpect(jsonPath("$.contents.threads.items[*].tid", contains(4242, 4243)))
                .andExpect(jsonPath("$.contents.threads.items[0].name").value("sim"))
                .andExpect(jsonPath("$.contents.areas.total").value(4))
                // by address, whatever order the agent sent them in
                .andExpect(jsonPath("$.contents.areas.items[*].path",
                        contains("/usr/bin/sim", "[heap]", "/dev/shm/sim-results", "[stack]")))
                .andExpect(jsonPath("$.contents.areas.items[0].kind").value("FILE_PRIVATE"))
                .andExpect(jsonPath("$.contents.areas.items[0].fileOffset").value(0x2000))
                .andExpect(jsonPath("$.contents.areas.items[1].storedPages").value(33))
                .andExpect(jsonPath("$.contents.areas.items[1].storedBytes").value(40_000))
                .andExpect(jsonPath("$.contents.fds.items[*].fd", contains(0, 3, 4)))
                .andExpect(jsonPath("$.contents.fds.items[1].target").value("/var/lib/sim/output.dat"))
                .andExpect(jsonPath("$.contents.fds.items[1].position").value(1_048_576))
                .andExpect(jsonPath("$.contents.fds.items[2].kind").value("UNREOPENABLE"));
        mvc.perform(get("/api/images/{id}", r.imageId()).param("items", "2").param("itemsFrom", "1")
                        .with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.contents.areas.total").value(4))
                .andExpect(jsonPath("$.contents.areas.offset").value(1))
                .andExpect(jsonPath("$.contents.areas.items[*].path", contains("[heap]", "/dev/shm/sim-results")))
                .andExpect(jsonPath("$.contents.threads.items[*].tid", contains(4243)));
    }

    @Test
    void registrationWithoutListsStillWorksAndHasEmptyContents() throws Exception {
        var agent = fx.host("node");
        String id = fx.image(agent, "sim");
        mvc.perform(get("/api/images/{id}", id).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.contents.areas.total").value(0))
                .andExpect(jsonPath("$.contents.areas.items", hasSize(0)))
                .andExpect(jsonPath("$.contents.fds.total").value(0));
    }

    /** The problems a registration is refused with (the registration that a verified manifest yields is checked too). */
    List<String> refusal(ImageRegistration r) {
        try {
            images.register(r);
        } catch (InvalidRequestException e) {
            return e.problems();
        }
        throw new AssertionError("registration of " + r.imageId() + " was not refused");
    }

    @Test
    void badAreasFilesAndThreadsAreRefusedWithEveryProblemListed() throws Exception {
        var agent = fx.host("node");
        var base = fx.registration(agent, "sim", Instant.parse("2026-11-27T10:00:00Z"), null, 15_000, 1);
        var r = new ImageRegistration(base.imageId(), base.hostId(), base.job(), null, base.capturedAt(), null, 1, 1, "m", "s",
                base.process(), List.of(), List.of(new ThreadSummary(0, null, null)),
                List.of(new AreaSummary(8192, 4096, "rwxq", 0, "lib/../etc/passwd", MemoryArea.Kind.FILE_PRIVATE, 0, null),
                        new AreaSummary(0, 4096, "r--p", 0, "/usr/./lib/x.so", MemoryArea.Kind.FILE_SHARED, 0, null),
                        new AreaSummary(8192, 12288, "r--p", 0, "heap", MemoryArea.Kind.ANONYMOUS, 0, null)),
                List.of(new FdSummary(-1, FdEntry.Kind.REGULAR, "relative.txt", 0, 0),
                        new FdSummary(5, FdEntry.Kind.DIRECTORY, "/a/" + "x".repeat(4100), 0, 0)));
        assertThat(refusal(r)).anySatisfy(p -> assertThat(p).startsWith("threads[0].tid:"))
                .anySatisfy(p -> assertThat(p).startsWith("areas[0]: end must be above start"))
                .anySatisfy(p -> assertThat(p).startsWith("areas[0].perms:"))
                .anySatisfy(p -> assertThat(p).startsWith("areas[0].path:"))
                .anySatisfy(p -> assertThat(p).startsWith("areas[1].path:"))
                .anySatisfy(p -> assertThat(p).startsWith("areas[2].path:"))
                .anySatisfy(p -> assertThat(p).startsWith("fds[0].fd:"))
                .anySatisfy(p -> assertThat(p).startsWith("fds[0].target:"))
                .anySatisfy(p -> assertThat(p).startsWith("fds[1].target:"));
        assertThat(jdbc.sql("SELECT count(*) FROM images WHERE id = ?").param(r.imageId()).query(Long.class).single()).isZero();
    }

    @Test
    void registeringTheSameImageTwiceIsHarmless() throws Exception {
        var agent = fx.host("node");
        ImageRegistration r = fx.registration(agent, "sim", Instant.now(), null, 20_000, 2);
        fx.register(agent, r);
        assertThat(images.register(r).outcome()).isEqualTo(ImageService.Outcome.ALREADY_REGISTERED);
        assertThat(jdbc.sql("SELECT count(*) FROM images WHERE id = ?").param(r.imageId()).query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void sameImageIdWithAnotherManifestIsAConflict() throws Exception {
        var agent = fx.host("node");
        ImageRegistration r = fx.registration(agent, "sim", Instant.now(), null, 30_000, 2);
        fx.register(agent, r);
        ImageRegistration other = new ImageRegistration(r.imageId(), r.hostId(), r.job(), null, r.capturedAt(), null,
                1, 1, "manifests/other", "sig", r.process(), List.of());
        assertThatThrownBy(() -> images.register(other)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("another manifest");
    }

    @Test
    void invalidRegistrationIsRefusedWithEveryProblemListed() throws Exception {
        var agent = fx.host("node");
        var base = fx.registration(agent, "sim", Instant.now(), null, 35_000, 1);
        var r = new ImageRegistration("bad id!", agent.hostId(), "", null, null, null, -1, 0, "m", "s", base.process(),
                List.of(new ChunkRef("XYZ", 1, null, null, null)));
        assertThat(refusal(r)).anySatisfy(p -> assertThat(p).startsWith("imageId:"))
                .anySatisfy(p -> assertThat(p).startsWith("job:"))
                .anySatisfy(p -> assertThat(p).startsWith("capturedAt:"))
                .anySatisfy(p -> assertThat(p).startsWith("logicalBytes:"))
                .anySatisfy(p -> assertThat(p).startsWith("chunks[0].key:"));
    }

    @Test
    void unknownParentIsRefused() throws Exception {
        var agent = fx.host("node");
        ImageRegistration r = fx.registration(agent, "sim", Instant.now(), "no-such-parent", 40_000, 1);
        assertThat(refusal(r).get(0)).startsWith("parentId:");
    }

    @Test
    void chunkQueryTellsKnownKeysFromMissingOnes() throws Exception {
        var agent = fx.host("node");
        fx.register(agent, fx.registration(agent, "sim", Instant.now(), null, 50_000, 3));
        String known = Fixtures.chunkKey(50_001);
        String missing = Fixtures.chunkKey(59_999);
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/json")
                        .content(fx.toJson(new ChunkQuery(List.of(missing, known)))))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.known", contains(known)))
                .andExpect(jsonPath("$.missing", contains(missing)));
    }

    @Test
    void largeChunkQueryAnswersEveryKeyInQueryOrder() throws Exception {
        var agent = fx.host("node");
        fx.register(agent, fx.registration(agent, "sim", Instant.now(), null, 55_000, 3));
        List<String> keys = new java.util.ArrayList<>();
        for (int i = 0; i < 6_000; i++) keys.add(Fixtures.chunkKey(56_000 + i));
        keys.add(3_000, Fixtures.chunkKey(55_002));
        keys.add(Fixtures.chunkKey(55_000));
        keys.add(0, Fixtures.chunkKey(55_001));
        String body = mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/json")
                        .content(fx.toJson(new ChunkQuery(keys))))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.known", contains(Fixtures.chunkKey(55_001), Fixtures.chunkKey(55_002), Fixtures.chunkKey(55_000))))
                .andExpect(jsonPath("$.missing", hasSize(6_000)))
                .andReturn().getResponse().getContentAsString();
        assertThat(body).contains(Fixtures.chunkKey(56_000)).contains(Fixtures.chunkKey(61_999));
    }

    @Test
    void chunkQueryRejectsMalformedKeys() throws Exception {
        var agent = fx.host("node");
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/json")
                        .content("{\"keys\":[\"not-hex\"]}"))
                .andExpect(status().isUnprocessableEntity());
    }

    @Test
    void listFiltersByHostJobLabelAndStateSortsAndPages() throws Exception {
        var agent = fx.host("filter");
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        String a = fx.register(agent, fx.registration(agent, "alpha", t0, null, 60_000, 1));
        String b = fx.register(agent, fx.registration(agent, "alpha", t0.plus(1, ChronoUnit.HOURS), a, 60_001, 4));
        String c = fx.register(agent, fx.registration(agent, "beta", t0.plus(2, ChronoUnit.HOURS), null, 60_010, 2));

        mvc.perform(get("/api/images").param("host", agent.hostId()).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.total").value(3))
                .andExpect(jsonPath("$.items[*].id", contains(c, b, a)));
        mvc.perform(get("/api/images").param("host", agent.hostId()).param("job", "alpha")
                        .param("sort", "logicalBytes").param("dir", "asc").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.items[*].id", contains(a, b)));
        mvc.perform(get("/api/images").param("host", agent.hostId()).param("label", "team=physics")
                        .param("size", "2").param("page", "1").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.total").value(3))
                .andExpect(jsonPath("$.items[*].id", contains(a)));
        mvc.perform(get("/api/images").param("host", agent.hostId()).param("label", "team=chemistry")
                        .with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.total").value(0));
        mvc.perform(get("/api/images").param("host", agent.hostId()).param("state", "COMPLETE")
                        .param("from", "2026-01-01T00:30:00Z").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.items[*].id", contains(c, b)));
        mvc.perform(get("/api/images/{id}", b).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.parentId").value(a));
        mvc.perform(get("/api/images/{id}", a).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.childIds", contains(b)));
    }

    @Test
    void badSortIsABadRequestProblem() throws Exception {
        mvc.perform(get("/api/images").param("sort", "id; DROP TABLE images").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"));
    }

    @Test
    void missingImageIsNotFoundProblem() throws Exception {
        mvc.perform(get("/api/images/{id}", "nope").with(user("v").roles("VIEWER")))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.status").value(404));
    }

    @Test
    void adminDeletesAnImageOthersCannot() throws Exception {
        var agent = fx.host("node");
        String id = fx.image(agent, "sim");
        mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete("/api/images/{id}", id)
                        .with(user("o").roles("OPERATOR")).with(csrf()))
                .andExpect(status().isForbidden());
        mvc.perform(org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete("/api/images/{id}", id)
                        .with(user("a").roles("ADMIN")).with(csrf()))
                .andExpect(status().isNoContent());
        assertThat(jdbc.sql("SELECT state FROM images WHERE id = ?").param(id).query(String.class).single()).isEqualTo("DELETED");
    }

    @Test
    void openApiDocumentDescribesTheApi() throws Exception {
        mvc.perform(get("/v3/api-docs"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.paths['/api/images']").exists())
                .andExpect(jsonPath("$.paths['/api/chunks/query']").exists())
                .andExpect(jsonPath("$.paths['/api/restores']").exists());
    }
}
