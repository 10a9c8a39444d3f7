// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.quota;

import java.time.Instant;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.*;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.*;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

/** Quotas per job and per host: usage counted from the chunks live images name, the capture check, raising, the page. */
@CatalogTest
class QuotaApiTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired UsageSampler sampler;

    @Test
    void usageCountsEachChunkOnceAndACaptureIsRefusedWhenAQuotaIsUsedUp() throws Exception {
        var agent = fx.host("quota");
        var other = fx.host("quota-other");
        Instant t = Instant.parse("2026-09-01T00:00:00Z");
        long base = 8_000_000_000L + (System.nanoTime() % 1_000_000) * 10;
        // 16,000 stored bytes a chunk: a = 0..2, b = 1..3 → the job stores 4 chunks, 64,000 bytes
        String a = fx.register(agent, fx.registration(agent, "sim", t, null, base, 3));
        fx.register(agent, fx.registration(agent, "sim", t.plusSeconds(60), a, base + 1, 3));
        long job = jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(a).query(Long.class).single();

        mvc.perform(put("/api/quotas/jobs/{id}", job).with(user("op").roles("OPERATOR")).with(csrf())
                .contentType("application/json").content("{\"limitBytes\":100000}")).andExpect(status().isForbidden());
        mvc.perform(put("/api/quotas/jobs/{id}", job).with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{\"limitBytes\":100000}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.usedBytes").value(64_000))
                .andExpect(jsonPath("$.limitBytes").value(100_000));
        mvc.perform(put("/api/quotas/hosts/{id}", agent.hostId()).with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{\"limitBytes\":1000000}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.usedBytes").value(64_000));
        mvc.perform(put("/api/quotas/jobs/{id}", job).with(user("ad").roles("ADMIN")).with(csrf())
                .contentType("application/json").content("{\"limitBytes\":0}")).andExpect(status().isUnprocessableEntity());

        // the check a capture makes: the smaller headroom, as the agent of its own host
        mvc.perform(get("/api/quotas/check").param("host", agent.hostId()).param("job", "sim")
                        .header("Authorization", agent.bearer()))
                .andExpect(status().isOk()).andExpect(jsonPath("$.allowed").value(true))
                .andExpect(jsonPath("$.remainingBytes").value(36_000));
        mvc.perform(get("/api/quotas/check").param("host", agent.hostId()).param("job", "sim")
                .header("Authorization", other.bearer())).andExpect(status().isForbidden());
        mvc.perform(get("/api/quotas/check").param("host", agent.hostId()).param("job", "sim")
                .with(user("v").roles("VIEWER"))).andExpect(status().isForbidden());

        // lowered below what is stored: used up
        mvc.perform(put("/api/quotas/jobs/{id}", job).with(user("ad").roles("ADMIN")).with(csrf())
                .contentType("application/json").content("{\"limitBytes\":50000}")).andExpect(status().isOk());
        mvc.perform(get("/api/quotas/check").param("host", agent.hostId()).param("job", "sim")
                        .header("Authorization", agent.bearer()))
                .andExpect(jsonPath("$.allowed").value(false)).andExpect(jsonPath("$.remainingBytes").value(0))
                .andExpect(jsonPath("$.message", containsString("the quota of job sim on " + agent.hostId() + " is used up")));
        assertThat(jdbc.sql("SELECT details->>'limitBytesBefore' FROM audit_log WHERE action = 'quota.set' AND target_id = ?"
                        + " ORDER BY id DESC LIMIT 1").param(String.valueOf(job)).query(String.class).single()).isEqualTo("100000");

        // samples for the chart
        sampler.sampleNow();
        mvc.perform(get("/api/quotas").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$[?(@.jobId == " + job + ")].usedBytes", contains(64_000)));
        mvc.perform(get("/api/quotas/usage").param("jobId", String.valueOf(job)).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$[0].storedBytes").value(64_000));
        mvc.perform(get("/quotas").with(user("v").roles("VIEWER")))
                .andExpect(status().isOk()).andExpect(content().string(containsString("job sim on " + agent.hostId())))
                .andExpect(content().string(containsString("id=\"quota-chart\"")))
                .andExpect(content().string(not(containsString("id=\"set-quota\""))));
        mvc.perform(post("/quotas").with(user("ad").roles("ADMIN")).with(csrf()).param("subject", "job:" + job)
                        .param("limit", "1").param("unit", "GiB"))
                .andExpect(flash().attribute("message", containsString("1.0 GiB")));
        mvc.perform(delete("/api/quotas/jobs/{id}", job).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isNoContent());
        mvc.perform(get("/api/quotas/check").param("host", agent.hostId()).param("job", "sim")
                        .header("Authorization", agent.bearer()))
                .andExpect(jsonPath("$.remainingBytes").value(1_000_000 - 64_000));
    }
}
