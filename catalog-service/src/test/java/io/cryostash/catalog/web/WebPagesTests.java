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
    void unknownImagePageIsNotFound() throws Exception {
        mvc.perform(get("/images/no-such-image").with(user("v").roles("VIEWER")))
                .andExpect(status().isNotFound());
    }
}
