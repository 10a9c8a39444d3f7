// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.backend.DirectoryBackend;
import io.cryostash.store.repository.Repository;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.*;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.*;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

/**
 * Expiry reaches the store: images written into a real (directory) store by an agent's store
 * handle and registered in the catalog; forgetting expires some; the catalog's GC run deletes their
 * manifests and frees their chunks; the store's pack bytes go down by what the dry run said (plus
 * pack overheads), the kept image still restores byte for byte, and the catalog stops claiming the
 * freed chunks.
 */
@CatalogTest
class GcApiTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired JsonMapper json;

    @BeforeAll
    static void emptyStore() throws Exception {
        StoreImages.wipe();
    }

    @Test
    void forgettingAndCollectingFreesWhatOnlyTheExpiredImagesHeldAndBreaksNoOther() throws Exception {
        var agent = fx.host("gc");
        Instant t = Instant.parse("2026-08-01T00:00:00Z");
        long s = 1000 + System.nanoTime() % 1_000_000 * 100;
        ImageRegistration a, b, c;
        long before;
        try (StoreImages store = new StoreImages()) {
            // a: chunks 0-5; b: 3-8 (shares 3-5 with a); c: 6-11 (shares 6-8 with b). Keep-last 1 keeps c.
            a = store.write(agent, "sim", t, s, s + 1, s + 2, s + 3, s + 4, s + 5);
            b = store.write(agent, "sim", t.plusSeconds(60), s + 3, s + 4, s + 5, s + 6, s + 7, s + 8);
            c = store.write(agent, "sim", t.plusSeconds(120), s + 6, s + 7, s + 8, s + 9, s + 10, s + 11);
            before = store.packBytes();
        }
        for (ImageRegistration r : List.of(a, b, c)) fx.register(agent, r);
        long job = jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(a.imageId()).query(Long.class).single();
        mvc.perform(put("/api/jobs/{id}/retention", job).with(user("ad").roles("ADMIN")).with(csrf())
                .contentType("application/json").content("{\"keepLast\":1}")).andExpect(status().isOk());
        // chunks 0-5 are a's and b's only: 6 of them
        Map<String, Long> stored = new HashMap<>();
        for (ImageRegistration r : List.of(a, b, c)) r.chunks().forEach(ch -> stored.put(ch.key(), ch.storedBytes()));
        long expected = 0;
        for (int i = 0; i <= 5; i++) expected += stored.get(key(s + i));
        var dry = json.readTree(mvc.perform(post("/api/jobs/{id}/forget", job).param("dryRun", "true")
                        .with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString());
        assertThat(dry.get("freedBytes").asLong()).isEqualTo(expected);
        assertThat(dry.get("freedChunks").asLong()).isEqualTo(6);

        mvc.perform(post("/api/jobs/{id}/forget", job).with(user("ad").roles("ADMIN")).with(csrf())).andExpect(status().isOk());
        // a dry GC changes nothing in the store, and counts the expired images' manifests as gone already
        var objectsBefore = listAll();
        var dryGc = json.readTree(mvc.perform(post("/api/gc").param("dryRun", "true").with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isOk()).andExpect(jsonPath("$.state").value("SUCCEEDED"))
                .andExpect(jsonPath("$.dryRun").value(true)).andExpect(jsonPath("$.manifestsDeleted").value(0))
                .andReturn().getResponse().getContentAsString());
        assertThat(listAll()).isEqualTo(objectsBefore);
        mvc.perform(post("/api/gc").with(user("op").roles("OPERATOR")).with(csrf())).andExpect(status().isForbidden());
        var run = json.readTree(mvc.perform(post("/api/gc").with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isOk()).andExpect(jsonPath("$.state").value("SUCCEEDED"))
                .andExpect(jsonPath("$.manifestsDeleted", greaterThanOrEqualTo(2))) // other tests expire images too
                .andReturn().getResponse().getContentAsString());
        assertThat(jdbc.sql("SELECT count(*) FROM images WHERE id IN (?, ?) AND manifest_deleted_at IS NOT NULL")
                .params(a.imageId(), b.imageId()).query(Long.class).single()).isEqualTo(2);

        long after;
        try (StoreImages store = new StoreImages()) {
            after = store.packBytes();
            assertThat(store.repository().chunks().backend().exists(StoreFormat.MANIFESTS + a.imageId())).isFalse();
            assertThat(store.repository().chunks().backend().exists(StoreFormat.MANIFESTS + b.imageId())).isFalse();
            // the kept image restores from a fresh handle, byte for byte
            Repository fresh = store.repository();
            assertThat(fresh.readImage(c.imageId()).manifest().chunks()).hasSize(6);
            for (int i = 6; i <= 11; i++) {
                assertThat(fresh.chunks().get(ChunkKey.parse(key(s + i)))).isEqualTo(StoreImages.chunk(s + i));
            }
            for (int i = 0; i <= 5; i++) assertThat(fresh.chunks().has(ChunkKey.parse(key(s + i)))).isFalse();
        }
        long freed = before - after;
        // what went is at least the chunks only the expired images held, and at most that plus their
        // packs' own indexes and trailers (48 bytes a chunk, 28 a pack) and the repacked chunks' salt (16)
        assertThat(freed).isEqualTo(run.get("bytesFreed").asLong());
        assertThat(dryGc.get("bytesFreed").asLong()).as("what the dry run said").isEqualTo(freed);
        assertThat(freed).isBetween(expected, expected + 6 * 48 + 3 * 28 + 16 * 6L);
        // the catalog no longer claims the freed chunks, and still has the kept ones
        mvc.perform(post("/api/chunks/query").with(user("v").roles("VIEWER")).with(csrf()).contentType("application/json")
                        .content("{\"keys\":[\"" + key(s) + "\",\"" + key(s + 9) + "\"]}"))
                .andExpect(jsonPath("$.known", contains(key(s + 9)))).andExpect(jsonPath("$.missing", contains(key(s))));
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'gc.run' AND actor = 'ad'").query(Long.class).single())
                .isGreaterThanOrEqualTo(2);
        mvc.perform(get("/api/gc/runs").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$[0].id").value(run.get("id").asLong()))
                .andExpect(jsonPath("$[0].report.packsDeleted", greaterThan(0)));
        // a second run finds nothing more to free
        mvc.perform(post("/api/gc").with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(jsonPath("$.manifestsDeleted").value(0)).andExpect(jsonPath("$.bytesFreed").value(0));
    }

    private static String key(long seed) {
        return HexFormat.of().formatHex(io.cryostash.store.Hashing.sha256(StoreImages.chunk(seed)));
    }

    private static List<String> listAll() throws Exception {
        return new DirectoryBackend(StoreImages.STORE).list("").stream().map(o -> o.name()).sorted().toList();
    }
}
