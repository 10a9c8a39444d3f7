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
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

/** The Retention page's preview (dry run) and the image page's pin button, as an administrator uses them. */
@CatalogTest
class RetentionPageTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;

    @Test
    void previewListsWhatWouldBeExpiredWithTheBytesItFreesAndChangesNothing() throws Exception {
        var agent = fx.host("page-ret");
        Instant t = Instant.parse("2026-07-01T00:00:00Z");
        long base = 7_000_000_000L + (System.nanoTime() % 1_000_000) * 10;
        String old = fx.register(agent, fx.registration(agent, "sim", t, null, base, 2));
        String last = fx.register(agent, fx.registration(agent, "sim", t.plusSeconds(60), null, base + 10, 2));
        long job = jdbc.sql("SELECT job_id FROM images WHERE id = ?").param(old).query(Long.class).single();
        mvc.perform(post("/retention").with(user("a").roles("ADMIN")).with(csrf())
                        .param("name", Fixtures.unique("page")).param("jobId", String.valueOf(job)).param("keepLast", "1")
                        .param("keepDaily", "0").param("keepWithin", ""))
                .andExpect(status().is3xxRedirection()).andExpect(flash().attribute("message", containsString("keeps last 1")));
        var done = mvc.perform(post("/retention/jobs/{id}/forget", job).param("dryRun", "true").with(user("a").roles("ADMIN")).with(csrf()))
                .andExpect(status().is3xxRedirection())
                .andExpect(flash().attribute("message", containsString("would keep 1 images and expire 1, freeing 31.3 KiB")))
                .andReturn();
        mvc.perform(get("/retention").with(user("a").roles("ADMIN")).flashAttrs(done.getFlashMap()))
                .andExpect(content().string(containsString("Preview (nothing changed)")))
                .andExpect(content().string(containsString("id=\"outcome-freed\">31.3 KiB")))
                .andExpect(content().string(containsString(old)))
                .andExpect(content().string(containsString("kept: last")));
        assertThat(jdbc.sql("SELECT state FROM images WHERE id = ?").param(old).query(String.class).single()).isEqualTo("COMPLETE");
        mvc.perform(get("/images/" + last).with(user("a").roles("ADMIN")))
                .andExpect(content().string(containsString("id=\"pin-button\"")));
        mvc.perform(post("/images/{id}/pin", last).param("reason", "audit 2026").with(user("a").roles("ADMIN")).with(csrf()))
                .andExpect(flash().attribute("message", containsString("pinned")));
        mvc.perform(get("/images/" + last).with(user("v").roles("VIEWER")))
                .andExpect(content().string(containsString("audit 2026")))
                .andExpect(content().string(not(containsString("id=\"unpin-button\""))));
        mvc.perform(get("/retention").with(user("v").roles("VIEWER")))
                .andExpect(content().string(containsString(last)));
    }
}
