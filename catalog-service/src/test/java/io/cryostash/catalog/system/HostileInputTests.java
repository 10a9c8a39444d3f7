// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.user.Role;
import io.cryostash.schema.catalog.HostReport;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.event.CheckpointCompleted;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * What an agent, a viewer or a script can send that the catalog once passed to PostgreSQL or added
 * up without looking: huge numbers, huge bodies, NUL characters, the year 99999, another host's
 * image id, "." as an id, 1.5 for a count. Each is refused naming the field, before the database.
 */
@CatalogTest
class HostileInputTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;

    static ImageRegistration withBytes(ImageRegistration r, long logical, long stored) {
        return new ImageRegistration(r.imageId(), r.hostId(), r.job(), r.jobLabels(), r.capturedAt(), r.parentId(), logical,
                stored, r.manifestKey(), r.signature(), r.process(), r.chunks(), r.threads(), r.areas(), r.fds());
    }

    /** A registration as agents send it: a checkpoint.completed pointing at a manifest (these tests never get that far). */
    static CheckpointCompleted pointer(Fixtures.Agent agent) {
        String id = Fixtures.unique("img");
        return new CheckpointCompleted(CheckpointCompleted.VERSION, null, agent.hostId(), "sim", null, id, "manifests/" + id, null,
                Instant.now(), 65536, 16000, 5L);
    }

    ResultActions register(Fixtures.Agent agent, String json) throws Exception {
        return mvc.perform(post("/api/images").header("Authorization", agent.bearer()).contentType("application/json")
                .content(json));
    }

    // --- numbers (3): what agents send is bounded in HostileRegistrationTests; sums here ---

    @Test
    void theDashboardAndStatsAddUpPastWhatALongHolds() throws Exception {
        var agent = fx.host("sums");
        List<String> ids = new ArrayList<>();
        try {
            // 64 images at the bound: 64 × 2^57 = 2^63, one more than a long holds.
            for (int i = 0; i < 64; i++) {
                var r = withBytes(fx.registration(agent, "huge", Instant.now(), null, 6_000_000 + 10L * i, 1),
                        ImageRegistration.MAX_BYTES, ImageRegistration.MAX_BYTES);
                ids.add(fx.register(agent, r));
            }
            mvc.perform(get("/stats.json").with(user("v").roles("VIEWER")))
                    .andExpect(status().isOk())
                    .andExpect(jsonPath("$.totals.logicalBytes").value(Long.MAX_VALUE))
                    .andExpect(jsonPath("$.totals.storedBytes").value(Long.MAX_VALUE));
            mvc.perform(get("/").with(user("v").roles("VIEWER"))).andExpect(status().isOk());
        } finally {
            for (String id : ids) mvc.perform(delete("/api/images/{id}", id).with(user("a").roles("ADMIN")).with(csrf()));
        }
    }

    // --- body sizes (4) ---

    @Test
    void aBodyOverItsEndpointsLimitIs413BeforeItIsRead() throws Exception {
        var agent = fx.host("bodies");
        byte[] seventeenMiB = new byte[17 << 20];
        java.util.Arrays.fill(seventeenMiB, (byte) ' ');
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/json")
                        .content(seventeenMiB))
                .andExpect(status().isPayloadTooLarge())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.detail", containsString("at most 16777216 bytes for POST /api/chunks/query")));
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/octet-stream")
                        .content(seventeenMiB))
                .andExpect(status().isPayloadTooLarge());
        byte[] twoMiB = new byte[2 << 20];
        java.util.Arrays.fill(twoMiB, (byte) ' ');
        mvc.perform(put("/api/hosts/{id}/heartbeat", agent.hostId()).header("Authorization", agent.bearer())
                        .contentType("application/json").content(twoMiB))
                .andExpect(status().isPayloadTooLarge())
                .andExpect(jsonPath("$.detail", containsString("at most 1048576 bytes")));
        mvc.perform(post("/api/jobs").with(user("o").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content(twoMiB))
                .andExpect(status().isPayloadTooLarge());
        // Within the limits all is as before.
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/json")
                        .content("{\"keys\":[\"" + Fixtures.chunkKey(1) + "\"]}"))
                .andExpect(status().isOk());
    }

    // --- NUL characters and dates (7) ---

    @Test
    void nulInAQueryFilterIsA400NamingTheParameter() throws Exception {
        for (String path : List.of("/api/images", "/api/audit", "/api/audit/export", "/api/restores", "/api/jobs", "/audit",
                "/images")) {
            String param = path.contains("audit") ? "actor" : "host";
            mvc.perform(get(path).param(param, "a\0b").with(user("v").roles("VIEWER")))
                    .andExpect(status().isBadRequest())
                    .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                    .andExpect(jsonPath("$.errors[0]").value(param + ": must not contain NUL characters"));
        }
        mvc.perform(get("/api/audit/export").param("format", "csv").param("targetId", "\0").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]").value("targetId: must not contain NUL characters"));
    }

    @Test
    void nulInABodyIsA400NamingTheField() throws Exception {
        var agent = fx.host("nul-body");
        mvc.perform(post("/api/jobs").with(user("o").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"hostId\":\"%s\",\"name\":\"a\\u0000b\",\"pid\":1}".formatted(agent.hostId())))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]").value("name: must not contain NUL characters"));
        mvc.perform(post("/api/jobs").with(user("o").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"hostId\":\"%s\",\"name\":\"n\",\"pid\":1,\"labels\":{\"k\\u0000\":\"v\"}}".formatted(agent.hostId())))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]", containsString("must not contain NUL characters")));
        mvc.perform(post("/api/restores").with(user("o").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"imageId\":\"x\\u0000\",\"hostId\":\"h\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]").value("imageId: must not contain NUL characters"));
        register(agent, fx.toJson(pointer(agent)).replace("\"manifests/", "\"manif\\u0000ests/"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]").value("manifestKey: must not contain NUL characters"));
    }

    @Test
    void aFailedRestoreReportWithNulInItsErrorIsKeptNotLost() throws Exception {
        var source = fx.host("nul-src");
        String image = fx.image(source, "sim");
        String id = jdbc.sql("INSERT INTO restore_requests (image_id, target_host_id, requested_by, state) "
                + "VALUES (?, ?, 'test', 'REQUESTED') RETURNING id::text").params(image, source.hostId()).query(String.class).single();
        mvc.perform(put("/api/restores/{id}/status", id).header("Authorization", source.bearer()).contentType("application/json")
                        .content("{\"state\":\"FAILED\",\"error\":\"read /proc/1/fd/3 -> a\\u0000b: gone\"}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.state").value("FAILED"));
        assertThat(jdbc.sql("SELECT error FROM restore_requests WHERE id = ?::uuid").param(id).query(String.class).single())
                .isEqualTo("read /proc/1/fd/3 -> a\uFFFDb: gone");
    }

    @Test
    void aTimeOutsideTheYears1To9999IsA400NamingTheField() throws Exception {
        mvc.perform(get("/api/images").param("from", "+99999-01-01T00:00:00Z").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]", startsWith("from: must be an ISO-8601 time between 0001-01-01 and 9999-12-31")));
        mvc.perform(get("/api/audit").param("to", "-0044-03-15T12:00:00Z").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]", startsWith("to: must be")));
        mvc.perform(get("/api/audit/export").param("from", "+275760-09-13T00:00:00Z").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest());
        // Times the filters have always taken still work.
        mvc.perform(get("/api/images").param("from", "2026-01-31T12:00:00Z").param("to", "2026-02-01T00:00:00.5+01:00")
                        .with(user("v").roles("VIEWER")))
                .andExpect(status().isOk());
        mvc.perform(get("/audit").param("from", "99999-01-01").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest());
        mvc.perform(get("/images").param("from", "+99999-01-01T00:00:00Z").with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(content().string(containsString("not a time between the years 1 and 9999")));
        var agent = fx.host("dates");
        String json = fx.toJson(pointer(agent)).replaceFirst("\"capturedAt\":\"[^\"]+\"", "\"capturedAt\":\"+99999-01-01T00:00:00Z\"");
        register(agent, json)
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]", startsWith("capturedAt: must be an ISO-8601 time between 0001-01-01")));
    }

    // --- another host's image (8), "." and ".." as ids (9): HostileRegistrationTests, with real signed manifests ---

    // --- the smaller ones (9) ---

    @Test
    void oneAndAHalfIsNoWholeNumber() throws Exception {
        var agent = fx.host("half");
        mvc.perform(post("/api/schedules").with(user("o").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"jobId\":1,\"intervalSeconds\":60.5}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]", startsWith("intervalSeconds: must be a whole number")));
        register(agent, fx.toJson(pointer(agent)).replaceFirst("\"logicalBytes\":\\d+", "\"logicalBytes\":1.5"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]", startsWith("logicalBytes: must be a whole number")));
        mvc.perform(get("/api/images").param("size", "1.5").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]", startsWith("size: must be a whole number")));
    }

    @Test
    void aHeartbeatThatRenamesAHostIsAudited() throws Exception {
        var agent = fx.host("rename");
        mvc.perform(put("/api/hosts/{id}/heartbeat", agent.hostId()).header("Authorization", agent.bearer())
                        .contentType("application/json")
                        .content(fx.toJson(new HostReport("new-name", null, null, null, null, null, null, null))))
                .andExpect(status().isOk());
        String details = jdbc.sql("SELECT details::text FROM audit_log WHERE action = 'host.updated' AND target_id = ?"
                + " ORDER BY id DESC LIMIT 1").param(agent.hostId()).query(String.class).single();
        assertThat(details).contains("\"renamedFrom\": \"" + agent.hostId() + "\"").contains("\"name\": \"new-name\"");
    }

    @Test
    void namesOverTheLimitAreRefusedWhenAccountsAndHostsAreMade() throws Exception {
        String longName = "n".repeat(2_000);
        mvc.perform(post("/api/users").with(user("a").roles("ADMIN")).with(csrf()).contentType("application/json")
                        .content("{\"username\":\"" + longName + "\",\"password\":\"long-enough-password\",\"role\":\"VIEWER\"}"))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors[0]", startsWith("username: ")));
        mvc.perform(post("/users").param("username", longName).param("password", "long-enough-password").param("role", "VIEWER")
                        .with(user("a").roles("ADMIN")).with(csrf()))
                .andExpect(r -> assertThat(r.getFlashMap().get("error")).asString().startsWith("username:"));
        mvc.perform(post("/hosts").param("id", Fixtures.unique("long")).param("name", longName)
                        .with(user("a").roles("ADMIN")).with(csrf()))
                .andExpect(r -> assertThat(r.getFlashMap().get("error")).asString().startsWith("name: at most 200"));
        assertThat(jdbc.sql("SELECT count(*) FROM users WHERE length(username) > 64").query(Long.class).single()).isZero();
        assertThat(jdbc.sql("SELECT count(*) FROM hosts WHERE length(name) > 200").query(Long.class).single()).isZero();
        String viewer = fx.user(Role.VIEWER);
        assertThat(viewer).hasSizeLessThan(64);
    }
}
