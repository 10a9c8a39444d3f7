// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.web;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.servlet.MockMvc;

import static org.hamcrest.Matchers.*;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

/** Every page renders for every role, and shows the actions a role may take and no others. */
@CatalogTest
class WebPagesTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;

    @Test
    void everyPageRendersForAViewerWithoutChangeControls() throws Exception {
        var agent = fx.host("pages");
        String image = fx.image(agent, "sim");
        for (String page : new String[] {"/", "/images", "/images/" + image, "/restores", "/hosts", "/schedules", "/retention",
                "/audit", "/images?job=sim&sort=logicalBytes&dir=asc&page=0", "/audit?action=image.&from=2026-01-01"}) {
            mvc.perform(get(page).with(user("v").roles("VIEWER")))
                    .andExpect(status().isOk())
                    .andExpect(content().string(containsString("Cryostash")))
                    .andExpect(content().string(not(containsString("id=\"restore-button\""))))
                    .andExpect(content().string(not(containsString("new agent token"))));
        }
    }

    /** Found by RestInputFuzzProperties: a label filter without '=' made the Images page answer 500. */
    @Test
    void aLabelFilterThatIsNotKeyValueIsLeftOutAndSaidSo() throws Exception {
        for (String label : new String[] {".", "=x", "no-equals"}) {
            mvc.perform(get("/images").param("label", label).with(user("v").roles("VIEWER")))
                    .andExpect(status().isOk())
                    .andExpect(content().string(containsString("label: must be key=value")));
        }
    }

    @Test
    void operatorSeesTheRestoreButtonAndAdminTheHostControls() throws Exception {
        var agent = fx.host("pages");
        String image = fx.image(agent, "sim");
        mvc.perform(get("/images/" + image).with(user("o").roles("OPERATOR")))
                .andExpect(content().string(containsString("id=\"restore-button\"")))
                .andExpect(content().string(containsString("name=\"_csrf\"")));
        mvc.perform(get("/hosts").with(user("a").roles("ADMIN")))
                .andExpect(content().string(containsString("new agent token")));
    }

    @Test
    void adminIssuesAnAgentTokenFromTheHostsPageAndSeesItOnce() throws Exception {
        var agent = fx.host("pages");
        var result = mvc.perform(post("/hosts/{id}/tokens", agent.hostId()).with(user("a").roles("ADMIN")).with(csrf()))
                .andExpect(status().is3xxRedirection())
                .andReturn();
        var token = (io.cryostash.catalog.security.AgentTokenService.IssuedToken) result.getFlashMap().get("token");
        org.assertj.core.api.Assertions.assertThat(token.token()).startsWith("cst_");
        org.assertj.core.api.Assertions.assertThat(token.hostId()).isEqualTo(agent.hostId());
        mvc.perform(get("/hosts").with(user("a").roles("ADMIN")))
                .andExpect(content().string(not(containsString(token.token()))));
    }

    @Test
    void restoreOnAnIncompatibleHostFromTheWebShowsTheReason() throws Exception {
        var agent = fx.host("pages");
        var arm = fx.host("pages-arm", "aarch64", java.util.List.of("fp"), "x");
        String image = fx.image(agent, "sim");
        mvc.perform(post("/images/{id}/restore", image).param("hostId", arm.hostId()).with(user("o").roles("OPERATOR")).with(csrf()))
                .andExpect(redirectedUrl("/images/" + image))
                .andExpect(flash().attribute("error", containsString("architecture aarch64")));
    }

    @Test
    void onlyAdminsManageUsersFromTheWeb() throws Exception {
        mvc.perform(get("/users").with(user("o").roles("OPERATOR"))).andExpect(status().isForbidden());
        String name = Fixtures.unique("newbie");
        mvc.perform(post("/users").param("username", name).param("password", "long-enough-password").param("role", "VIEWER")
                        .with(user("a").roles("ADMIN")).with(csrf()))
                .andExpect(flash().attribute("message", containsString(name)));
        mvc.perform(post("/users/{n}", name).param("role", "OPERATOR").with(user("a").roles("ADMIN")).with(csrf()))
                .andExpect(flash().attribute("message", containsString("updated")));
        mvc.perform(get("/users").with(user("a").roles("ADMIN")))
                .andExpect(status().isOk())
                .andExpect(content().string(containsString(name)));
        mvc.perform(get("/api/users/{n}", name).with(user("a").roles("ADMIN")))
                .andExpect(jsonPath("$.role").value("OPERATOR"));
    }

    @Test
    void imagePageShowsWhatIsInsideTheImage() throws Exception {
        var agent = fx.host("pages");
        String image = fx.register(agent, Fixtures.withContents(fx.registration(agent, "sim", java.time.Instant.now(), null,
                970_000, 2)));
        String page = mvc.perform(get("/images/" + image).with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(content().string(containsString("/dev/shm/sim-results")))
                .andExpect(content().string(containsString("/var/lib/sim/output.dat")))
                .andExpect(content().string(containsString("pipe:[81234]")))
                .andExpect(content().string(containsString("sim-io")))
                .andReturn().getResponse().getContentAsString();
        // areas by address: the executable's mapping first, the stack last; addresses as /proc/PID/maps writes them
        org.assertj.core.api.Assertions.assertThat(page.indexOf("/usr/bin/sim</td>"))
                .isPositive().isLessThan(page.indexOf("[heap]")).isLessThan(page.indexOf("[stack]"));
        org.assertj.core.api.Assertions.assertThat(page).contains("555555554000").contains("02101");
    }

    @Test
    void imagePageWithoutListsSaysTheAgentSentNone() throws Exception {
        var agent = fx.host("pages");
        mvc.perform(get("/images/" + fx.image(agent, "sim")).with(user("v").roles("VIEWER")))
                .andExpect(content().string(containsString("The agent sent no list (37 areas).")))
                .andExpect(content().string(not(containsString("id=\"area-table\""))));
    }

    @Test
    void longAreaListsArePagedByAddress() throws Exception {
        var agent = fx.host("pages");
        var base = fx.registration(agent, "sim", java.time.Instant.now(), null, 980_000, 1);
        var areas = new java.util.ArrayList<io.cryostash.schema.catalog.AreaSummary>();
        for (int i = 449; i >= 0; i--) {
            areas.add(new io.cryostash.schema.catalog.AreaSummary(0x10000000L + i * 0x2000L, 0x10000000L + i * 0x2000L + 0x1000,
                    "r--p", 0, "/lib/a-" + i + ".so", io.cryostash.schema.image.MemoryArea.Kind.FILE_PRIVATE, 0, null));
        }
        String image = fx.register(agent, new io.cryostash.schema.catalog.ImageRegistration(base.imageId(), base.hostId(),
                base.job(), null, base.capturedAt(), null, 1, 1, base.manifestKey(), base.signature(), base.process(),
                base.chunks(), null, areas, null));
        mvc.perform(get("/images/" + image).with(user("v").roles("VIEWER")))
                .andExpect(content().string(containsString("/lib/a-0.so")))
                .andExpect(content().string(containsString("/lib/a-199.so")))
                .andExpect(content().string(not(containsString("/lib/a-200.so"))))
                .andExpect(content().string(containsString("1–200 of 450")))
                .andExpect(content().string(containsString("areaPage=1#areas")));
        mvc.perform(get("/images/" + image).param("areaPage", "2").with(user("v").roles("VIEWER")))
                .andExpect(content().string(containsString("/lib/a-449.so")))
                .andExpect(content().string(not(containsString("/lib/a-399.so"))))
                .andExpect(content().string(containsString("401–450 of 450")));
    }

    @Test
    void statsGiveEachDaysImagesAndBytesBesideTheRunningTotals() throws Exception {
        var agent = fx.host("pages");
        // A day far in the past that no other test uses, so its figures are this test's alone.
        java.time.Instant day = java.time.Instant.parse("2019-03-14T10:00:00Z");
        fx.register(agent, fx.registration(agent, "stats", day, null, 990_000, 2));
        fx.register(agent, fx.registration(agent, "stats", day.plusSeconds(3600), null, 990_010, 3));
        mvc.perform(get("/stats.json").with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.days[?(@.day == '2019-03-14')].images", contains(2)))
                .andExpect(jsonPath("$.days[?(@.day == '2019-03-14')].dayLogicalBytes", contains(5 * 65536)))
                .andExpect(jsonPath("$.days[?(@.day == '2019-03-14')].dayStoredBytes", contains(5 * 16000)));
        mvc.perform(get("/").with(user("v").roles("VIEWER")))
                .andExpect(content().string(containsString("id=\"per-day-chart\"")))
                .andExpect(content().string(containsString("id=\"bytes-chart\"")));
    }

    @Test
    void imagesPageFiltersByTimeAndKeepsTheTimesInItsPagerLinks() throws Exception {
        var agent = fx.host("pages");
        String job = Fixtures.unique("timed");
        java.time.Instant t = java.time.Instant.parse("2026-10-01T12:00:00Z");
        String first = fx.register(agent, fx.registration(agent, job, t, null, 995_000, 1));
        String second = fx.register(agent, fx.registration(agent, job, t.plusSeconds(3600), null, 995_010, 1));
        String third = fx.register(agent, fx.registration(agent, job, t.plusSeconds(7200), null, 995_020, 1));
        String fourth = fx.register(agent, fx.registration(agent, job, t.plusSeconds(10800), null, 995_030, 1));
        // as a datetime-local input sends them: no zone (UTC), minutes only; "to" is exclusive
        // in the URL, not as .param(): the pager links are built from the request's query string
        String page = mvc.perform(get("/images?job={job}&from=2026-10-01T12:30&to=2026-10-01T15:00&size=1", job)
                        .with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(content().string(containsString(third)))
                .andExpect(content().string(not(containsString(second))))
                .andExpect(content().string(containsString("value=\"2026-10-01T12:30:00\"")))
                .andReturn().getResponse().getContentAsString();
        org.assertj.core.api.Assertions.assertThat(page).doesNotContain(first).doesNotContain(fourth)
                .contains("from=2026-10-01T12:30&amp;to=2026-10-01T15:00&amp;size=1&amp;page=1\" id=\"next-page\"");
        mvc.perform(get("/images").param("job", job).param("from", "2026-10-01T12:30")
                        .param("to", "2026-10-01T15:00").param("size", "1").param("page", "1").with(user("v").roles("VIEWER")))
                .andExpect(content().string(containsString(second)))
                .andExpect(content().string(not(containsString(third))));
        // A time that does not parse is said so, and the rest of the filter still applies.
        mvc.perform(get("/images").param("job", job).param("from", "yesterday").with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(content().string(containsString("from: not a time: yesterday")))
                .andExpect(content().string(containsString(first)))
                .andExpect(content().string(containsString(fourth)));
    }

    @Test
    void unknownImagePageIsNotFound() throws Exception {
        mvc.perform(get("/images/no-such-image").with(user("v").roles("VIEWER")))
                .andExpect(status().isNotFound());
    }
}
