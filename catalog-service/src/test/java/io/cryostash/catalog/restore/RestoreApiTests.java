// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.restore;

import java.util.List;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.outbox.OutboxRelay;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.*;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.*;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

@CatalogTest
class RestoreApiTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired JsonMapper json;

    String request(String image, String host) throws Exception {
        String body = mvc.perform(post("/api/restores").with(user("op").roles("OPERATOR")).with(csrf())
                        .contentType("application/json")
                        .content("{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, host)))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.state").value("REQUESTED"))
                .andExpect(jsonPath("$.requestedBy").value("op"))
                .andReturn().getResponse().getContentAsString();
        return json.readTree(body).get("id").asString();
    }

    @Test
    void restoreRequestWritesItsEventToTheOutboxKeyedByTargetHost() throws Exception {
        var source = fx.host("src");
        var target = fx.host("dst");
        String image = fx.image(source, "sim");
        String id = request(image, target.hostId());

        var rows = jdbc.sql("SELECT topic, message_key, event_type, payload::text FROM outbox WHERE payload->>'restoreRequestId' = ?")
                .param(id).query((rs, i) -> List.of(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4))).list();
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get(0)).isEqualTo("cryostash.restore.requested");
        assertThat(rows.get(0).get(1)).isEqualTo(target.hostId());
        JsonNode payload = json.readTree(rows.get(0).get(3));
        assertThat(payload.get("imageId").asString()).isEqualTo(image);
        assertThat(payload.get("manifestKey").asString()).startsWith("manifests/");
        // This context has no Kafka settings: the event waits in the outbox.
        assertThat(jdbc.sql("SELECT count(*) FROM outbox WHERE payload->>'restoreRequestId' = ? AND published_at IS NULL")
                .param(id).query(Long.class).single()).isOne();
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'restore.requested' AND target_id = ? AND actor = 'op'")
                .param(id).query(Long.class).single()).isOne();
    }

    @Test
    void refusedRestoreLeavesNoRequestAndNoEvent() throws Exception {
        var source = fx.host("src");
        var arm = fx.host("arm", "aarch64", List.of("fp", "asimd"), "other-vdso");
        String image = fx.image(source, "sim");
        long outboxBefore = jdbc.sql("SELECT count(*) FROM outbox").query(Long.class).single();
        mvc.perform(post("/api/restores").with(user("op").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, arm.hostId())))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", hasItem(containsString("architecture aarch64"))))
                .andExpect(jsonPath("$.errors", hasItem(containsString("CPU lacks avx, sse2"))))
                .andExpect(jsonPath("$.errors", hasItem(containsString("different vDSO"))));
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ?").param(image).query(Long.class).single()).isZero();
        assertThat(jdbc.sql("SELECT count(*) FROM outbox").query(Long.class).single()).isEqualTo(outboxBefore);
    }

    @Test
    void restoreOfUnknownImageIsNotFound() throws Exception {
        var target = fx.host("dst");
        mvc.perform(post("/api/restores").with(user("op").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"imageId\":\"missing\",\"hostId\":\"%s\"}".formatted(target.hostId())))
                .andExpect(status().isNotFound());
    }

    @Test
    void missingFieldsAreValidationProblems() throws Exception {
        mvc.perform(post("/api/restores").with(user("op").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{}"))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", hasItems(startsWith("hostId:"), startsWith("imageId:"))));
    }

    @Test
    void targetAgentReportsProgressAndOtherAgentsCannot() throws Exception {
        var source = fx.host("src");
        var target = fx.host("dst");
        String id = request(fx.image(source, "sim"), target.hostId());

        mvc.perform(put("/api/restores/{id}/status", id).header("Authorization", source.bearer()).contentType("application/json")
                        .content("{\"state\":\"RUNNING\"}"))
                .andExpect(status().isForbidden());
        mvc.perform(put("/api/restores/{id}/status", id).header("Authorization", target.bearer()).contentType("application/json")
                        .content("{\"state\":\"RUNNING\"}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.state").value("RUNNING"))
                .andExpect(jsonPath("$.startedAt").isNotEmpty());
        mvc.perform(put("/api/restores/{id}/status", id).header("Authorization", target.bearer()).contentType("application/json")
                        .content("{\"state\":\"COMPLETED\",\"pid\":31337}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.restoredPid").value(31337));
        mvc.perform(put("/api/restores/{id}/status", id).header("Authorization", target.bearer()).contentType("application/json")
                        .content("{\"state\":\"RUNNING\"}"))
                .andExpect(status().isConflict());
        mvc.perform(get("/api/restores").param("image", "").header("Authorization", target.bearer()))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.items[*].targetHostId", everyItem(is(target.hostId()))));
    }

    @Test
    void operatorCancelsARequestNoAgentStarted() throws Exception {
        var source = fx.host("src");
        String id = request(fx.image(source, "sim"), source.hostId());
        mvc.perform(post("/api/restores/{id}/cancel", id).with(user("op").roles("OPERATOR")).with(csrf()))
                .andExpect(status().isOk()).andExpect(jsonPath("$.state").value("CANCELLED"));
        mvc.perform(post("/api/restores/{id}/cancel", id).with(user("op").roles("OPERATOR")).with(csrf()))
                .andExpect(status().isConflict());
    }

    @Test
    void listShowsNewestFirstAndFiltersByState() throws Exception {
        var source = fx.host("src");
        String image = fx.image(source, "sim");
        String first = request(image, source.hostId());
        String second = request(image, source.hostId());
        mvc.perform(get("/api/restores").param("image", image).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.items[*].id", contains(second, first)));
        mvc.perform(get("/api/restores").param("image", image).param("state", "COMPLETED").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.total").value(0));
    }

    @Test
    void schedulerRelaysEventsToTheRegisteredPublisher(@Autowired OutboxRelay relay) throws Exception {
        var source = fx.host("sched-relay");
        String id = request(fx.image(source, "sim"), source.hostId());
        List<io.cryostash.catalog.outbox.OutboxEvent> sent = new java.util.ArrayList<>();
        var factory = new org.springframework.beans.factory.support.StaticListableBeanFactory();
        factory.addBean("publisher", (OutboxRelay.OutboxPublisher) sent::add);
        new io.cryostash.catalog.outbox.OutboxRelayScheduler(relay, factory.getBeanProvider(OutboxRelay.OutboxPublisher.class)).relay();
        assertThat(sent).anySatisfy(e -> {
            assertThat(e.topic()).isEqualTo("cryostash.restore.requested");
            assertThat(e.key()).isEqualTo(source.hostId());
            assertThat(e.payload()).contains(id);
        });
        assertThat(relay.pending(1000)).noneMatch(e -> e.payload().contains(id));
    }

    @Test
    void relayPublishesPendingEventsInOrderAndStopsAtTheFirstFailure(@Autowired OutboxRelay relay) throws Exception {
        var source = fx.host("relay");
        String image = fx.image(source, "sim");
        request(image, source.hostId());
        // Drain everything (other tests' events too), then make two new ones.
        while (relay.relayBatch(e -> { }, 1000) > 0) { }
        String a = request(image, source.hostId());
        String b = request(image, source.hostId());
        List<String> seen = new java.util.ArrayList<>();
        int sent = relay.relayBatch(e -> {
            seen.add(e.payload());
            if (seen.size() == 2) throw new IllegalStateException("broker down");
        }, 10);
        assertThat(sent).isEqualTo(1);
        assertThat(seen.get(0)).contains(a);
        assertThat(relay.pending(10)).hasSize(1);
        assertThat(relay.pending(10).get(0).payload()).contains(b);
        assertThat(relay.relayBatch(e -> { }, 10)).isEqualTo(1);
        assertThat(relay.pending(10)).isEmpty();
    }
}
