// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.PipelineFixtures;
import io.cryostash.catalog.PipelineFixtures.TestAgent;
import io.cryostash.catalog.PipelineInfrastructure;
import io.cryostash.catalog.PipelineTest;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.event.Topics;
import kafka.server.BrokerServer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;

import static io.cryostash.catalog.PipelineFixtures.await;
import static io.cryostash.catalog.PipelineFixtures.consumer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The broker goes away while a restore is requested: the request waits in the outbox (the relay
 * tries and fails), and once the broker is back the event reaches the topic without anyone doing
 * anything, and the catalog's consumers carry on.
 */
@PipelineTest
class BrokerOutageTests {

    @Autowired PipelineFixtures pf;
    @Autowired Fixtures fx;
    @Autowired MockMvc mvc;
    @Autowired JdbcClient jdbc;
    @Autowired JsonMapper json;

    @Test
    void aRestoreRequestedWhileTheBrokerIsDownArrivesWhenItIsBack() throws Exception {
        TestAgent source = pf.enrol("outage-src");
        TestAgent target = pf.enrol("outage-dst");
        String image = fx.image(source.asAgent(), "sim");
        BrokerServer broker = PipelineInfrastructure.broker().getCluster().brokers().values().iterator().next();
        broker.shutdown();
        broker.awaitShutdown();
        String id;
        try {
            String body = mvc.perform(post("/api/restores").with(user("op").roles("OPERATOR")).with(csrf())
                            .contentType("application/json")
                            .content("{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, target.hostId())))
                    .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
            id = json.readTree(body).get("id").asString();
            // The relay tried while the broker was down, and kept the event.
            await().atMost(Duration.ofSeconds(60)).until(() -> jdbc.sql("""
                            SELECT count(*) FROM outbox WHERE payload->>'restoreRequestId' = ? AND published_at IS NULL
                            AND attempts > 0 AND last_error IS NOT NULL""").param(id).query(Long.class).single() == 1);
        } finally {
            broker.startup();
        }
        try (var topic = consumer(Topics.RESTORE_REQUESTED)) {
            var r = await(topic, Duration.ofSeconds(90), rec -> PipelineFixtures.text(rec.value()).contains(id));
            assertThat(r.key()).isEqualTo(target.hostId());
        }
        assertThat(jdbc.sql("SELECT count(*) FROM outbox WHERE payload->>'restoreRequestId' = ? AND published_at IS NOT NULL")
                .param(id).query(Long.class).single()).isOne();
        // And the consumers took up again: the target's status moves the request.
        pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, target,
                new RestoreStatus(1, UUID.fromString(id), target.hostId(), "COMPLETED", 4040, null, Instant.now()), target.keys());
        await().atMost(Duration.ofSeconds(60)).until(() -> "COMPLETED".equals(jdbc.sql(
                "SELECT state FROM restore_requests WHERE id = ?::uuid").param(id).query(String.class).single()));
    }
}
