// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.cryostash.catalog.PipelineFixtures;
import io.cryostash.catalog.PipelineFixtures.TestAgent;
import io.cryostash.catalog.PipelineTest;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.Topics;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * What a hostile agent can send to register an image, now that a registration is a pointer
 * (checkpoint.completed, over REST or Kafka) to a signed manifest in the store: real hosts enrolled
 * with their own keys, real signed images written by image-store into the test's S3 server.
 * Another host's image, "." and ".." as ids, numbers past every bound: each is refused by name,
 * before anything is registered, linked or sent back.
 */
@PipelineTest
class HostileRegistrationTests {

    static final Duration WITHIN = Duration.ofSeconds(30);

    @Autowired MockMvc mvc;
    @Autowired PipelineFixtures pf;
    @Autowired JdbcClient jdbc;
    @Autowired JsonMapper json;

    static CheckpointCompleted pointer(TestAgent a, String imageId, String job, UUID request) {
        return new CheckpointCompleted(CheckpointCompleted.VERSION, request, a.hostId(), job, null, imageId,
                "manifests/" + imageId, null, Instant.now(), 4096, 4096, 3L);
    }

    ResultActions register(TestAgent agent, Object body) throws Exception {
        return mvc.perform(post("/api/images").header("Authorization", agent.bearer()).contentType("application/json")
                .content(json.writeValueAsString(body)));
    }

    long count(String sql, Object... args) {
        return jdbc.sql(sql).params(args).query(Long.class).single();
    }

    // --- another host's image (issue 12, item 8) ---

    @Test
    void anAgentCannotReRegisterAnotherHostsImageNorLearnAnythingOfIt() throws Exception {
        TestAgent a = pf.enrol("host-a");
        TestAgent b = pf.enrol("host-b");
        String theirs = PipelineFixtures.writeImage(b, 4242, "b-secret", 8, null);
        // A snapshot request of A's own, which a registration by A would answer.
        String job = mvc.perform(post("/api/jobs").with(user("op").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"hostId\":\"%s\",\"name\":\"a-job\",\"pid\":77}".formatted(a.hostId())))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        String requestId = json.readTree(mvc.perform(post("/api/jobs/{id}/snapshots", json.readTree(job).get("id").asLong())
                        .with(user("op").roles("OPERATOR")).with(csrf()))
                .andExpect(status().isAccepted()).andReturn().getResponse().getContentAsString()).get("requestId").asString();

        // Before B registers it, A passes B's stored image off as its own: the manifest is not A's to sign.
        register(a, pointer(a, theirs, "a-job", UUID.fromString(requestId)))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors[0]", containsString("not by the key its host enrolled")))
                .andExpect(content().string(not(containsString(b.hostId()))));
        assertThat(count("SELECT count(*) FROM images WHERE id = ?", theirs)).isZero();

        register(b, pointer(b, theirs, "b-secret-job", null)).andExpect(status().isCreated());

        // Registered: A learns nothing of it, not even that its pointer is right, and nothing of A's is linked to it.
        register(a, pointer(a, theirs, "a-job", UUID.fromString(requestId)))
                .andExpect(status().isForbidden())
                .andExpect(content().string(not(containsString("b-secret"))))
                .andExpect(content().string(not(containsString(b.hostId()))))
                .andExpect(jsonPath("$.logicalBytes").doesNotExist())
                .andExpect(jsonPath("$.job").doesNotExist());
        // Speaking for B with A's token is no better.
        register(a, pointer(b, theirs, "b-secret-job", null))
                .andExpect(status().isForbidden())
                .andExpect(content().string(not(containsString("b-secret"))));
        // Nor through Kafka, with a message A signed.
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, pointer(a, theirs, "a-job", UUID.fromString(requestId)),
                a.keys());
        await().atMost(WITHIN).until(() -> count("SELECT count(*) FROM dead_letters WHERE message_key = ? AND reason LIKE ?",
                a.hostId(), "%cannot be registered by the agent of host " + a.hostId() + "%") == 1);

        assertThat(jdbc.sql("SELECT i.host_id || ' ' || j.name FROM images i JOIN jobs j ON j.id = i.job_id WHERE i.id = ?")
                .param(theirs).query(String.class).single()).isEqualTo(b.hostId() + " b-secret-job");
        assertThat(jdbc.sql("SELECT state || ' ' || coalesce(image_id, '-') FROM snapshot_requests WHERE id = ?::uuid")
                .param(requestId).query(String.class).single()).as("A's request is not answered with B's image")
                .isEqualTo("REQUESTED -");
        assertThat(count("SELECT count(*) FROM images i JOIN jobs j ON j.id = i.job_id WHERE j.host_id = ?", a.hostId())).isZero();
        assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'image.refused' AND target_id = ? AND details->>'host' = ?",
                theirs, a.hostId())).as("each refusal is audited").isGreaterThanOrEqualTo(3);
        // B itself may repeat its registration, as before.
        register(b, pointer(b, theirs, "b-secret-job", null)).andExpect(status().isOk());
    }

    // --- chunks the store does not hold ---

    @Test
    void anImageWhoseChunksTheStoreDoesNotIndexIsNotRegistered() throws Exception {
        TestAgent agent = pf.enrol("unindexed");
        String image;
        try (var st = PipelineFixtures.store(agent)) {
            var backend = st.repository().chunks().backend();
            var before = backend.list(io.cryostash.schema.store.StoreFormat.INDEX).stream().map(o -> o.name()).toList();
            image = PipelineFixtures.writeImage(st, agent, 4343, "unindexed", 8, null);
            // the index objects this image's packs were named in go: its manifest names chunks no index has
            for (var o : backend.list(io.cryostash.schema.store.StoreFormat.INDEX)) {
                if (!before.contains(o.name())) backend.delete(o.name());
            }
        }
        register(agent, pointer(agent, image, "unindexed", null))
                .andExpect(status().isServiceUnavailable())
                .andExpect(jsonPath("$.detail", containsString("the store's index does not have")));
        assertThat(count("SELECT count(*) FROM images WHERE id = ?", image)).isZero();
        assertThat(count("SELECT count(*) FROM image_chunk_lists WHERE image_id = ?", image)).isZero();
    }

    // --- "." and ".." (issue 12, item 9) ---

    @Test
    void dotAndDotDotAreNoIds() throws Exception {
        TestAgent agent = pf.enrol("dots");
        for (String id : List.of(".", "..")) {
            var dotted = new CheckpointCompleted(CheckpointCompleted.VERSION, null, agent.hostId(), "sim", null, id,
                    "manifests/" + id, id, Instant.now(), 4096, 4096, null);
            register(agent, dotted)
                    .andExpect(status().isUnprocessableEntity())
                    .andExpect(jsonPath("$.errors", hasItem("imageId: must not be . or ..")))
                    .andExpect(jsonPath("$.errors", hasItem("parentId: must not be . or ..")));
            // The same pointer over Kafka is refused as an invalid event, never looked up in the store.
            pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, agent, dotted, agent.keys());
            mvc.perform(post("/api/hosts/enrol").header("Authorization", "Bearer " + pf.enrolmentToken())
                            .contentType("application/json")
                            .content(json.writeValueAsString(Map.of("hostId", id, "publicKey", Base64.getEncoder()
                                    .encodeToString(agent.keys().publicKey().getEncoded()), "report", PipelineFixtures.report(id)))))
                    .andExpect(status().isUnprocessableEntity())
                    .andExpect(jsonPath("$.errors", hasItem("hostId: must not be . or ..")));
            mvc.perform(post("/api/hosts").with(user("a").roles("ADMIN")).with(csrf()).contentType("application/json")
                            .content("{\"id\":\"" + id + "\"}"))
                    .andExpect(status().isUnprocessableEntity());
            mvc.perform(post("/hosts").param("id", id).with(user("a").roles("ADMIN")).with(csrf()))
                    .andExpect(status().is3xxRedirection())
                    .andExpect(r -> assertThat(r.getFlashMap().get("error")).asString().contains("not . or .."));
        }
        await().atMost(WITHIN).until(() -> count("SELECT count(*) FROM dead_letters WHERE message_key = ? AND reason LIKE ?",
                agent.hostId(), "%imageId: must not be . or ..%") == 2);
        assertThat(count("SELECT count(*) FROM images WHERE id IN ('.', '..')")).isZero();
        assertThat(count("SELECT count(*) FROM hosts WHERE id IN ('.', '..')")).isZero();
    }

    // --- numbers (issue 12, item 3) ---

    @Test
    void everyNumberAnAgentSendsHasABound() throws Exception {
        TestAgent agent = pf.enrol("bounds");
        String image = PipelineFixtures.writeImage(agent, 4242, "bounds", 4, null);
        Map<String, String> labels = new HashMap<>();
        for (int i = 0; i < 65; i++) labels.put("k" + i, "v");
        // The event's own numbers.
        var huge = new CheckpointCompleted(Integer.MAX_VALUE, null, agent.hostId(), "sim", labels, image, "manifests/" + image,
                null, Instant.now(), Long.MAX_VALUE, -1, Long.MAX_VALUE);
        register(agent, huge)
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", containsInAnyOrder(
                        startsWith("version: " + Integer.MAX_VALUE + " is not one this reader knows"),
                        startsWith("logicalBytes: must be between 0 and 2^60"),
                        startsWith("storedBytes: must be between 0 and 2^60"),
                        startsWith("freezeMillis: must be 0 to 86,400,000"),
                        startsWith("jobLabels: at most 64 labels"))));
        assertThat(count("SELECT count(*) FROM images WHERE id = ?", image)).isZero();

        // The numbers of a manifest the host signed: bounded too. Thread ids the manifest codec refuses
        // itself (restore would clone3 threads with them), before the registration's own rules run.
        String bigPids = PipelineFixtures.writeImage(agent, 5_000_000, "big-pids", 4, null);
        register(agent, pointer(agent, bigPids, "sim", null))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", hasItem(containsString("has an invalid manifest: invalid image:"
                        + " impossible thread id 5000000"))));
        assertThat(count("SELECT count(*) FROM images WHERE id = ?", bigPids)).isZero();

        // Within the bounds, the sizes registered are the store's, whatever the event claims: an agent
        // cannot make the catalog's totals (summed on the dashboard) what it likes.
        var claims = new CheckpointCompleted(1, null, agent.hostId(), "sim", null, image, "manifests/" + image, null,
                Instant.now(), 1L << 60, 1L << 60, 0L);
        register(agent, claims).andExpect(status().isCreated());
        // 4 pages in one chunk, plus the chunk table naming it.
        assertThat(jdbc.sql("SELECT logical_bytes FROM images WHERE id = ?").param(image).query(Long.class).single())
                .isBetween(4 * 4096L, 4 * 4096L + 65536);
        assertThat(jdbc.sql("SELECT stored_bytes FROM images WHERE id = ?").param(image).query(Long.class).single())
                .isLessThan(4 * 4096L + 65536);
    }
}
