// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.user.Role;
import jakarta.servlet.http.Cookie;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestBuilders.formLogin;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.response.SecurityMockMvcResultMatchers.authenticated;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.patch;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * An account changed by an administrator (disabled, demoted, given a new password) stops working
 * in the sessions it already had, at their very next request: through the API and the web pages.
 */
@CatalogTest
class AccountChangeTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;

    MockHttpSession login(String username, String password) throws Exception {
        var result = mvc.perform(formLogin("/login").user(username).password(password))
                .andExpect(authenticated().withUsername(username)).andReturn();
        return (MockHttpSession) result.getRequest().getSession(false);
    }

    static MockHttpServletRequestBuilder inSession(MockHttpServletRequestBuilder b, MockHttpSession session) {
        return b.session(session).cookie(new Cookie("JSESSIONID", session.getId())).with(csrf());
    }

    MockHttpSession admin() throws Exception {
        String admin = fx.user(Role.ADMIN);
        return login(admin, admin + "-password");
    }

    void change(MockHttpSession admin, String username, String json) throws Exception {
        mvc.perform(inSession(patch("/api/users/{u}", username), admin).contentType("application/json").content(json))
                .andExpect(status().isOk());
    }

    long sessionsEnded(String username) {
        return jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'user.session-ended' AND target_id = ?")
                .param(username).query(Long.class).single();
    }

    @Test
    void aDemotedAndDisabledOperatorCanNoLongerRequestRestoresFromTheOldSession() throws Exception {
        var agent = fx.host("demoted");
        String image = fx.image(agent, "sim");
        String operator = fx.user(Role.OPERATOR);
        MockHttpSession session = login(operator, operator + "-password");
        String body = "{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, agent.hostId());
        mvc.perform(inSession(get("/api/images/{id}", image), session)).andExpect(status().isOk());

        change(admin(), operator, "{\"role\":\"VIEWER\",\"enabled\":false}");

        mvc.perform(inSession(post("/api/restores"), session).contentType("application/json").content(body))
                .andExpect(status().isUnauthorized());
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ?").param(image).query(Long.class).single())
                .isZero();
        assertThat(sessionsEnded(operator)).isOne();
    }

    @Test
    void aDemotedOperatorLosesTheSessionEvenWhileStillEnabled() throws Exception {
        var agent = fx.host("demoted");
        String image = fx.image(agent, "sim");
        String operator = fx.user(Role.OPERATOR);
        MockHttpSession session = login(operator, operator + "-password");
        change(admin(), operator, "{\"role\":\"VIEWER\"}");
        mvc.perform(inSession(post("/images/{id}/restore", image), session).param("hostId", agent.hostId()).accept("text/html"))
                .andExpect(status().is3xxRedirection())
                .andExpect(r -> assertThat(r.getResponse().getRedirectedUrl()).endsWith("/login"));
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ?").param(image).query(Long.class).single())
                .isZero();
        // Signing in again gives the new role: reading works, restoring does not.
        MockHttpSession again = login(operator, operator + "-password");
        mvc.perform(inSession(post("/api/restores"), again).contentType("application/json")
                        .content("{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, agent.hostId())))
                .andExpect(status().isForbidden());
    }

    @Test
    void aDisabledAdministratorCannotReEnableThemselvesFromTheOldSession() throws Exception {
        String victim = fx.user(Role.ADMIN);
        MockHttpSession old = login(victim, victim + "-password");
        change(admin(), victim, "{\"enabled\":false}");
        mvc.perform(inSession(patch("/api/users/{u}", victim), old).contentType("application/json").content("{\"enabled\":true}"))
                .andExpect(status().isUnauthorized());
        assertThat(jdbc.sql("SELECT enabled FROM users WHERE username = ?").param(victim).query(Boolean.class).single()).isFalse();
    }

    @Test
    void aNewPasswordEndsTheSessionsMadeWithTheOldOne() throws Exception {
        String viewer = fx.user(Role.VIEWER);
        MockHttpSession first = login(viewer, viewer + "-password");
        MockHttpSession second = login(viewer, viewer + "-password");
        change(admin(), viewer, "{\"password\":\"a-new-password-1\"}");
        mvc.perform(inSession(get("/api/images"), first)).andExpect(status().isUnauthorized());
        mvc.perform(inSession(get("/api/images"), second)).andExpect(status().isUnauthorized());
        MockHttpSession fresh = login(viewer, "a-new-password-1");
        mvc.perform(inSession(get("/api/images"), fresh)).andExpect(status().isOk());
    }

    @Test
    void aChangeToOneAccountLeavesOtherPeoplesSessionsAlone() throws Exception {
        String bystander = fx.user(Role.OPERATOR);
        MockHttpSession session = login(bystander, bystander + "-password");
        change(admin(), fx.user(Role.VIEWER), "{\"enabled\":false}");
        mvc.perform(inSession(get("/api/images"), session)).andExpect(status().isOk());
        assertThat(sessionsEnded(bystander)).isZero();
    }
}
