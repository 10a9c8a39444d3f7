// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.chunk;

import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.schema.catalog.ChunkQuery;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.ImageRegistration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.servlet.MockMvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.*;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

@CatalogTest
class ChunkApiTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired io.cryostash.catalog.image.ImageService images;
    @Autowired ChunkFilterService filter;

    static byte[] raw(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /** The same key with its last byte changed: same 8-byte prefix, so the filter says "maybe". */
    static String sibling(String hex) {
        byte[] k = raw(hex);
        k[k.length - 1] ^= 0x5a;
        return HexFormat.of().formatHex(k);
    }

    byte[] binaryQuery(Fixtures.Agent agent, String... hexKeys) throws Exception {
        byte[] body = new byte[32 * hexKeys.length];
        for (int i = 0; i < hexKeys.length; i++) System.arraycopy(raw(hexKeys[i]), 0, body, 32 * i, 32);
        return mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer())
                        .contentType("application/octet-stream").accept("application/octet-stream").content(body))
                .andExpect(status().isOk())
                .andExpect(content().contentType("application/octet-stream"))
                .andReturn().getResponse().getContentAsByteArray();
    }

    /** Loads the filter from the database (waiting for a load already running, e.g. the one at start). */
    void reloadFilter() throws InterruptedException {
        while (!filter.reload()) Thread.sleep(20);
        assertThat(filter.filter()).isNotNull();
    }

    static boolean bit(byte[] bits, int i) {
        return (bits[i >>> 3] & (1 << (i & 7))) != 0;
    }

    @Test
    void binaryQueryAnswersOneBitPerKeyInQueryOrder() throws Exception {
        var agent = fx.host("node");
        fx.register(agent, fx.registration(agent, "sim", Instant.now(), null, 7_100_000, 3));
        String[] keys = new String[11];
        for (int i = 0; i < keys.length; i++) keys[i] = Fixtures.chunkKey(7_100_100 + i);
        keys[0] = Fixtures.chunkKey(7_100_002);
        keys[9] = Fixtures.chunkKey(7_100_000);
        byte[] bits = binaryQuery(agent, keys);
        assertThat(bits).hasSize(2);
        for (int i = 0; i < keys.length; i++) assertThat(bit(bits, i)).as("key " + i).isEqualTo(i == 0 || i == 9);
        assertThat(bits[1] & 0xf8).as("bits past the last key").isZero();
    }

    @Test
    void binaryQueryOfPartialKeysIsAnInvalidRequestProblem() throws Exception {
        var agent = fx.host("node");
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer())
                        .contentType("application/octet-stream").content(new byte[33]))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.title").value("Invalid request"))
                .andExpect(jsonPath("$.detail", containsString("33 bytes is not a whole number of 32-byte keys")));
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer())
                        .contentType("application/octet-stream").content(new byte[0]))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.detail", containsString("at least one 32-byte key")));
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer())
                        .contentType("application/octet-stream").content(new byte[32 * (ChunkQuery.MAX_KEYS + 1)]))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.detail", containsString("more than 100000 keys")));
    }

    @Test
    void binaryQueryNeedsAToken() throws Exception {
        mvc.perform(post("/api/chunks/query").contentType("application/octet-stream").content(new byte[32]))
                .andExpect(status().isUnauthorized())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"));
    }

    @Test
    void aKeySharingAKnownKeysPrefixIsMissingNotKnown() throws Exception {
        var agent = fx.host("node");
        fx.register(agent, fx.registration(agent, "sim", Instant.now(), null, 7_200_000, 2));
        reloadFilter();
        String known = Fixtures.chunkKey(7_200_000);
        String lookalike = sibling(known);
        assertThat(filter.filter().mightContain(raw(lookalike))).as("the filter alone cannot rule it out").isTrue();
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/json")
                        .content(fx.toJson(new ChunkQuery(List.of(lookalike, known)))))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.known", contains(known)))
                .andExpect(jsonPath("$.missing", contains(lookalike)));
        byte[] bits = binaryQuery(agent, lookalike, known);
        assertThat(bit(bits, 0)).isFalse();
        assertThat(bit(bits, 1)).isTrue();
    }

    @Test
    void chunksOfARegistrationThatFailedAreNotKnown() throws Exception {
        var agent = fx.host("node");
        ImageRegistration first = fx.registration(agent, "sim", Instant.now(), null, 7_300_000, 1);
        fx.register(agent, first);
        reloadFilter();
        // Same image id, another manifest and a new chunk: refused (409), so its chunk must not become known.
        String lost = Fixtures.chunkKey(7_300_500);
        ImageRegistration clash = new ImageRegistration(first.imageId(), first.hostId(), first.job(), null, first.capturedAt(),
                null, 65536, 16000, "manifests/other", "sig", first.process(), List.of(new ChunkRef(lost, 65536, 16000L, "p", 0L)));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> images.register(clash))
                .isInstanceOf(io.cryostash.catalog.system.ConflictException.class);
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/json")
                        .content(fx.toJson(new ChunkQuery(List.of(lost)))))
                .andExpect(jsonPath("$.known", empty()));
        assertThat(bit(binaryQuery(agent, lost), 0)).isFalse();
    }

    @Test
    void chunksRegisteredAfterTheFilterWasLoadedAreKnown() throws Exception {
        var agent = fx.host("node");
        reloadFilter();
        String key = Fixtures.chunkKey(7_400_000);
        assertThat(filter.filter().mightContain(raw(key))).isFalse();
        fx.register(agent, fx.registration(agent, "sim", Instant.now(), null, 7_400_000, 1));
        assertThat(filter.filter().mightContain(raw(key))).isTrue();
        assertThat(bit(binaryQuery(agent, key), 0)).isTrue();
    }
}
