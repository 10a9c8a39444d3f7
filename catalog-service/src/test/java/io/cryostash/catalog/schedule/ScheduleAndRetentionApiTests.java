// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
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

@CatalogTest
class ScheduleAndRetentionApiTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired JsonMapper json;

    long jobOf(String image) {
        return jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(image).query(Long.class).single();
    }

    @Test
    void operatorCreatesUpdatesAndDeletesASchedule() throws Exception {
        var agent = fx.host("sched");
        long job = jobOf(fx.image(agent, "sim"));
        String created = mvc.perform(post("/api/schedules").with(user("op").roles("OPERATOR")).with(csrf())
                        .contentType("application/json").content("{\"jobId\":%d,\"intervalSeconds\":600}".formatted(job)))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.afterCapture").value("RESUME"))
                .andExpect(jsonPath("$.hostId").value(agent.hostId()))
                .andReturn().getResponse().getContentAsString();
        long id = json.readTree(created).get("id").asLong();
        mvc.perform(put("/api/schedules/{id}", id).with(user("op").roles("OPERATOR")).with(csrf())
                        .contentType("application/json")
                        .content("{\"jobId\":%d,\"intervalSeconds\":900,\"enabled\":false}".formatted(job)))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.intervalSeconds").value(900))
                .andExpect(jsonPath("$.enabled").value(false));
        // The catalog runs schedules itself: agents get snapshot requests, not timetables.
        assertThat(jdbc.sql("SELECT count(*) FROM outbox WHERE message_key = ?")
                .param(agent.hostId()).query(Long.class).single()).isZero();
        mvc.perform(delete("/api/schedules/{id}", id).with(user("op").roles("OPERATOR")).with(csrf()))
                .andExpect(status().isNoContent());
        mvc.perform(get("/api/schedules/{id}", id).with(user("v").roles("VIEWER"))).andExpect(status().isNotFound());
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE target_type = 'schedule' AND target_id = ?")
                .param(String.valueOf(id)).query(Long.class).single()).isEqualTo(3L);
    }

    @Test
    void scheduleInputIsValidatedAndViewersCannotChangeIt() throws Exception {
        mvc.perform(post("/api/schedules").with(user("op").roles("OPERATOR")).with(csrf())
                        .contentType("application/json").content("{\"jobId\":1,\"intervalSeconds\":1,\"afterCapture\":\"MAYBE\"}"))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", hasItems(startsWith("afterCapture:"), startsWith("intervalSeconds:"))));
        mvc.perform(post("/api/schedules").with(user("v").roles("VIEWER")).with(csrf())
                        .contentType("application/json").content("{\"jobId\":1,\"intervalSeconds\":60}"))
                .andExpect(status().isForbidden());
        mvc.perform(post("/api/schedules").with(user("op").roles("OPERATOR")).with(csrf())
                        .contentType("application/json").content("{\"jobId\":987654321,\"intervalSeconds\":60}"))
                .andExpect(status().isUnprocessableEntity());
    }

    @Test
    void onlyAdminsChangeRetentionPolicies() throws Exception {
        var agent = fx.host("ret");
        long job = jobOf(fx.image(agent, "sim"));
        String body = "{\"name\":\"%s\",\"jobId\":%d,\"keepLast\":24,\"keepHourly\":0,\"keepDaily\":30,\"keepWeekly\":0}"
                .formatted(Fixtures.unique("keep"), job);
        mvc.perform(post("/api/retention-policies").with(user("op").roles("OPERATOR")).with(csrf())
                        .contentType("application/json").content(body))
                .andExpect(status().isForbidden());
        String created = mvc.perform(post("/api/retention-policies").with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content(body))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.keepLast").value(24))
                .andReturn().getResponse().getContentAsString();
        long id = json.readTree(created).get("id").asLong();
        mvc.perform(post("/api/retention-policies").with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content(body))
                .andExpect(status().isConflict());
        mvc.perform(put("/api/retention-policies/{id}", id).with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json")
                        .content(body.replace("\"keepLast\":24", "\"keepLast\":48")))
                .andExpect(status().isOk()).andExpect(jsonPath("$.keepLast").value(48));
        mvc.perform(get("/api/retention-policies").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$[*].id", hasItem((int) id)));
        mvc.perform(delete("/api/retention-policies/{id}", id).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isNoContent());
    }

    @Test
    void applyingAPolicyExpiresWhatItDoesNotKeepAndAuditsIt() throws Exception {
        var agent = fx.host("apply");
        java.time.Instant t = java.time.Instant.parse("2026-06-01T00:00:00Z");
        String a = fx.register(agent, fx.registration(agent, "sim", t, null, 80_000, 1));
        String b = fx.register(agent, fx.registration(agent, "sim", t.plusSeconds(60), a, 80_001, 1));
        String c = fx.register(agent, fx.registration(agent, "sim", t.plusSeconds(120), null, 80_002, 1));
        String d = fx.register(agent, fx.registration(agent, "sim", t.plusSeconds(180), b, 80_003, 1));
        long job = jobOf(a);
        String created = mvc.perform(post("/api/retention-policies").with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json")
                        .content("{\"name\":\"%s\",\"jobId\":%d,\"keepLast\":1}".formatted(Fixtures.unique("last1"), job)))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        long id = json.readTree(created).get("id").asLong();
        mvc.perform(post("/api/retention-policies/{id}/apply", id).param("dryRun", "true").with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isOk())
                // parents of the kept incremental image d are not kept: every image names all its chunks
                .andExpect(jsonPath("$.jobs[0].expired[*].id", contains(c, b, a)))
                .andExpect(jsonPath("$.jobs[0].kept[*].id", contains(d)));
        assertThat(jdbc.sql("SELECT state FROM images WHERE id = ?").param(c).query(String.class).single()).isEqualTo("COMPLETE");
        mvc.perform(post("/api/retention-policies/{id}/apply", id).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isOk());
        assertThat(jdbc.sql("SELECT state FROM images WHERE id = ?").param(c).query(String.class).single()).isEqualTo("EXPIRED");
        assertThat(jdbc.sql("SELECT state FROM images WHERE id = ?").param(d).query(String.class).single()).isEqualTo("COMPLETE");
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'image.expired' AND target_id = ?")
                .param(c).query(Long.class).single()).isOne();
    }

    @Test
    void aPolicyMustKeepSomething() throws Exception {
        mvc.perform(post("/api/retention-policies").with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json")
                        .content("{\"name\":\"nothing\",\"keepLast\":0,\"keepHourly\":0,\"keepDaily\":0,\"keepWeekly\":0}"))
                .andExpect(status().isUnprocessableEntity());
    }
}
