// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

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

/** Job policies, forgetting with and without a dry run, the bytes a run frees, and pins, through the REST API. */
@CatalogTest
class RetentionApiTests {

    @Autowired
    MockMvc mvc;
    @Autowired
    Fixtures fx;
    @Autowired
    JdbcClient jdbc;

    static final Instant T = Instant.parse("2026-06-01T00:00:00Z");

    long jobOf(String image) {
        return jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(image).query(Long.class).single();
    }

    String state(String image) {
        return jdbc.sql("SELECT state FROM images WHERE id = ?").param(image).query(String.class).single();
    }

    @Test
    void dryRunSaysWhatWouldGoAndTheBytesOnlyThoseImagesHold() throws Exception {
        var agent = fx.host("forget");
        // chunks of 16,000 stored bytes each: a = {1..3}, b = {2..5}, c = {5..6}; keep-last 1 keeps c
        long base = 5_000_000_000L + (System.nanoTime() % 1_000_000) * 10; // far from other tests' chunks
        String a = fx.register(agent, fx.registration(agent, "sim", T, null, base + 1, 3));
        String b = fx.register(agent, fx.registration(agent, "sim", T.plusSeconds(60), a, base + 2, 4));
        String c = fx.register(agent, fx.registration(agent, "sim", T.plusSeconds(120), b, base + 5, 2));
        long job = jobOf(a);
        mvc.perform(put("/api/jobs/{id}/retention", job).with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{\"keepLast\":1}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.keepLast").value(1));
        // a and b go; chunks 1..4 are named by them only (5 is c's too): 4 chunks, 64,000 bytes.
        // a alone holds 1, b alone holds 4 (16,000 each); 2 and 3 are both's.
        mvc.perform(post("/api/jobs/{id}/forget", job).param("dryRun", "true").with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.dryRun").value(true))
                .andExpect(jsonPath("$.expired").value(2))
                .andExpect(jsonPath("$.freedBytes").value(64_000))
                .andExpect(jsonPath("$.freedChunks").value(4))
                .andExpect(jsonPath("$.jobs[0].expired[*].id", contains(b, a)))
                .andExpect(jsonPath("$.jobs[0].expired[*].ownBytes", contains(16_000, 16_000)))
                .andExpect(jsonPath("$.jobs[0].kept[0].id").value(c))
                .andExpect(jsonPath("$.jobs[0].kept[0].reasons", contains("last")));
        assertThat(state(a)).isEqualTo("COMPLETE");
        mvc.perform(post("/api/jobs/{id}/forget", job).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isOk()).andExpect(jsonPath("$.dryRun").value(false))
                .andExpect(jsonPath("$.freedBytes").value(64_000));
        assertThat(state(a)).isEqualTo("EXPIRED");
        assertThat(state(b)).isEqualTo("EXPIRED");
        assertThat(state(c)).isEqualTo("COMPLETE");
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'image.expired' AND target_id IN (?, ?)")
                .params(a, b).query(Long.class).single()).isEqualTo(2);
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'retention.applied' AND actor = 'ad'")
                .query(Long.class).single()).isPositive();
        // a second run finds nothing more to do
        mvc.perform(post("/api/jobs/{id}/forget", job).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(jsonPath("$.expired").value(0)).andExpect(jsonPath("$.freedBytes").value(0));
    }

    @Test
    void aPinnedImageIsNeverExpiredNorDeletedAndPinningIsAudited() throws Exception {
        var agent = fx.host("pin");
        String old = fx.register(agent, fx.registration(agent, "sim", T, null, 6_000_000_000L, 1));
        String mid = fx.register(agent, fx.registration(agent, "sim", T.plusSeconds(60), null, 710_001, 1));
        String last = fx.register(agent, fx.registration(agent, "sim", T.plusSeconds(120), null, 710_002, 1));
        long job = jobOf(old);
        mvc.perform(post("/api/images/{id}/pin", old).with(user("op").roles("OPERATOR")).with(csrf()))
                .andExpect(status().isForbidden());
        mvc.perform(post("/api/images/{id}/pin", old).with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{\"reason\":\"case 4711\"}"))
                .andExpect(status().isCreated()).andExpect(jsonPath("$.pinnedBy").value("ad"))
                .andExpect(jsonPath("$.reason").value("case 4711"));
        mvc.perform(post("/api/images/{id}/pin", old).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isConflict());
        mvc.perform(put("/api/jobs/{id}/retention", job).with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{\"keepLast\":1}"))
                .andExpect(status().isOk());
        mvc.perform(post("/api/jobs/{id}/forget", job).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(jsonPath("$.jobs[0].expired[*].id", contains(mid)))
                .andExpect(jsonPath("$.jobs[0].kept[*].id", contains(last, old)))
                .andExpect(jsonPath("$.jobs[0].kept[1].reasons", contains("pinned")));
        assertThat(state(old)).isEqualTo("COMPLETE");
        mvc.perform(delete("/api/images/{id}", old).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isConflict()).andExpect(jsonPath("$.detail", containsString("pinned")));
        mvc.perform(get("/api/pins").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$[*].imageId", hasItem(old)));
        mvc.perform(post("/api/images/{id}/pin", mid).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isConflict()).andExpect(jsonPath("$.detail", containsString("expired")));
        mvc.perform(delete("/api/images/{id}/pin", old).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isNoContent());
        mvc.perform(delete("/api/images/{id}/pin", old).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isConflict());
        assertThat(jdbc.sql("SELECT action FROM audit_log WHERE target_id = ? AND action LIKE 'image.%pinned' ORDER BY id")
                .param(old).query(String.class).list()).containsExactly("image.pinned", "image.unpinned");
        mvc.perform(post("/api/jobs/{id}/forget", job).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(jsonPath("$.jobs[0].expired[*].id", contains(old)));
    }

    @Test
    void aJobFollowsItsOwnPolicyElseTheDefaultElseKeepsEverything() throws Exception {
        var agent = fx.host("eff");
        String img = fx.image(agent, "sim");
        long job = jobOf(img);
        String source = jdbc.sql("SELECT count(*) FROM retention_policies WHERE job_id IS NULL AND enabled").query(Long.class).single() > 0
                ? "default" : "none";
        mvc.perform(get("/api/jobs/{id}/retention", job).with(user("v").roles("VIEWER")))
                .andExpect(status().isOk()).andExpect(jsonPath("$.source").value(source));
        mvc.perform(put("/api/jobs/{id}/retention", job).with(user("op").roles("OPERATOR")).with(csrf())
                        .contentType("application/json").content("{\"keepLast\":3}"))
                .andExpect(status().isForbidden());
        mvc.perform(put("/api/jobs/{id}/retention", job).with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{\"keepDaily\":7,\"keepWithin\":\"2d\"}"))
                .andExpect(status().isOk()).andExpect(jsonPath("$.keepWithin").value("2d"));
        mvc.perform(get("/api/jobs/{id}/retention", job).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.source").value("job"))
                .andExpect(jsonPath("$.policy.keepDaily").value(7));
        mvc.perform(put("/api/jobs/{id}/retention", job).with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{\"keepWithin\":\"two days\"}"))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors[0]", startsWith("keepWithin:")));
        mvc.perform(put("/api/jobs/{id}/retention", job).with(user("ad").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{}"))
                .andExpect(status().isUnprocessableEntity());
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE action IN ('retention.created', 'retention.updated') AND details->>'jobId' = ?")
                .param(String.valueOf(job)).query(Long.class).single()).isOne();
        mvc.perform(delete("/api/jobs/{id}/retention", job).with(user("ad").roles("ADMIN")).with(csrf()))
                .andExpect(status().isNoContent());
        mvc.perform(get("/api/jobs/{id}/retention", job).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.source").value(source));
    }
}
