// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.security;

import java.time.Instant;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.user.Role;
import io.cryostash.schema.catalog.HostReport;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import jakarta.servlet.http.Cookie;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.mock.web.MockHttpSession;
import org.springframework.test.web.servlet.request.MockHttpServletRequestBuilder;
import org.springframework.test.web.servlet.MockMvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestBuilders.formLogin;
import static org.springframework.security.test.web.servlet.response.SecurityMockMvcResultMatchers.authenticated;
import static org.springframework.security.test.web.servlet.response.SecurityMockMvcResultMatchers.unauthenticated;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.*;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

@CatalogTest
class SecurityTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired AgentTokenService tokens;

    /** Logs in through the real login form, as a browser would, and returns the session. */
    MockHttpSession login(String username, String password) throws Exception {
        var result = mvc.perform(formLogin("/login").user(username).password(password))
                .andExpect(authenticated().withUsername(username))
                .andReturn();
        return (MockHttpSession) result.getRequest().getSession(false);
    }

    /** The request as a browser sends it within a session: the session and its cookie (the CSRF rule looks at the header). */
    static MockHttpServletRequestBuilder inSession(MockHttpServletRequestBuilder b, MockHttpSession session) {
        return b.session(session).cookie(new Cookie("JSESSIONID", session.getId()));
    }

    static String basic(String user, String password) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void apiWithoutCredentialsIsUnauthorizedProblem() throws Exception {
        mvc.perform(get("/api/images"))
                .andExpect(status().isUnauthorized())
                .andExpect(header().string("WWW-Authenticate", "Bearer realm=\"cryostash\""))
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"));
        mvc.perform(post("/api/images").contentType("application/json").content("{}"))
                .andExpect(status().isUnauthorized());
    }

    @Test
    void unknownBearerTokenIsUnauthorized() throws Exception {
        mvc.perform(post("/api/chunks/query").header("Authorization", "Bearer cst_forged").contentType("application/json")
                        .content("{\"keys\":[]}"))
                .andExpect(status().isUnauthorized());
    }

    @Test
    void agentCannotRegisterAnImageForAnotherHost() throws Exception {
        var mine = fx.host("mine");
        var other = fx.host("other");
        var r = new io.cryostash.schema.event.CheckpointCompleted(1, null, other.hostId(), "sim", null, "b".repeat(64),
                "manifests/" + "b".repeat(64), null, Instant.now(), 1, 1, null);
        mvc.perform(post("/api/images").header("Authorization", mine.bearer()).contentType("application/json")
                        .content(fx.toJson(r)))
                .andExpect(status().isForbidden())
                .andExpect(jsonPath("$.detail", containsString(mine.hostId())));
        assertThat(jdbc.sql("SELECT count(*) FROM images WHERE id = ?").param(r.imageId()).query(Long.class).single()).isZero();
    }

    @Test
    void agentCannotSendHeartbeatsForAnotherHost() throws Exception {
        var mine = fx.host("mine");
        var other = fx.host("other");
        mvc.perform(put("/api/hosts/{id}/heartbeat", other.hostId()).header("Authorization", mine.bearer())
                        .contentType("application/json")
                        .content(fx.toJson(new HostReport("evil", "aarch64", null, null, null, null, null, null))))
                .andExpect(status().isForbidden());
        mvc.perform(get("/api/hosts/{id}", other.hostId()).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.arch").value("x86_64"));
    }

    @Test
    void revokedTokenNoLongerWorks() throws Exception {
        var agent = fx.host("revoked");
        long tokenId = jdbc.sql("SELECT id FROM agent_tokens WHERE host_id = ?").param(agent.hostId()).query(Long.class).single();
        mvc.perform(delete("/api/hosts/{id}/tokens/{t}", agent.hostId(), tokenId).with(user("a").roles("ADMIN")).with(csrf()))
                .andExpect(status().isNoContent());
        mvc.perform(put("/api/hosts/{id}/heartbeat", agent.hostId()).header("Authorization", agent.bearer())
                        .contentType("application/json").content("{}"))
                .andExpect(status().isUnauthorized());
    }

    @Test
    void aTokenJustUsedAndSoCachedStopsWorkingTheMomentItIsRevoked() throws Exception {
        var agent = fx.host("cached");
        for (int i = 0; i < 2; i++) {
            mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/json")
                            .content("{\"keys\":[]}"))
                    .andExpect(status().isOk());
        }
        long tokenId = jdbc.sql("SELECT id FROM agent_tokens WHERE host_id = ?").param(agent.hostId()).query(Long.class).single();
        tokens.revoke(agent.hostId(), tokenId);
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).contentType("application/json")
                        .content("{\"keys\":[]}"))
                .andExpect(status().isUnauthorized())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"));
    }

    @Test
    void aCachedTokenSkipsTheDatabaseButStaysBoundToItsHost() throws Exception {
        var agent = fx.host("cached");
        var other = fx.host("other");
        assertThat(tokens.authenticate(agent.token())).map(AgentPrincipal::hostId).contains(agent.hostId());
        // Cached now: the second answer must be the same agent, not whichever token was cached last.
        assertThat(tokens.authenticate(other.token())).map(AgentPrincipal::hostId).contains(other.hostId());
        assertThat(tokens.authenticate(agent.token())).map(AgentPrincipal::hostId).contains(agent.hostId());
        assertThat(tokens.authenticate("cst_not-a-token")).isEmpty();
    }

    @Test
    void agentTokenIsNotAPersonAndCannotBrowseUsersOrRequestRestores() throws Exception {
        var agent = fx.host("agent");
        mvc.perform(get("/api/users").header("Authorization", agent.bearer())).andExpect(status().isForbidden());
        mvc.perform(post("/api/restores").header("Authorization", agent.bearer()).contentType("application/json")
                        .content("{\"imageId\":\"x\",\"hostId\":\"y\"}"))
                .andExpect(status().isForbidden());
    }

    @Test
    void viewerCannotRequestARestore() throws Exception {
        var agent = fx.host("node");
        String image = fx.image(agent, "sim");
        String viewer = fx.user(Role.VIEWER);
        var session = login(viewer, viewer + "-password");
        mvc.perform(inSession(post("/api/restores"), session).with(csrf()).contentType("application/json")
                        .content("{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, agent.hostId())))
                .andExpect(status().isForbidden())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"));
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ?").param(image).query(Long.class).single()).isZero();
    }

    @Test
    void viewerCannotRestoreFromTheWebPageEither() throws Exception {
        var agent = fx.host("node");
        String image = fx.image(agent, "sim");
        mvc.perform(post("/images/{id}/restore", image).param("hostId", agent.hostId())
                        .with(user("v").roles("VIEWER")).with(csrf()))
                .andExpect(status().isForbidden());
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ?").param(image).query(Long.class).single()).isZero();
    }

    @Test
    void formPostWithoutCsrfTokenIsRejected() throws Exception {
        var agent = fx.host("node");
        String image = fx.image(agent, "sim");
        mvc.perform(post("/images/{id}/restore", image).param("hostId", agent.hostId()).with(user("o").roles("OPERATOR")))
                .andExpect(status().isForbidden());
        mvc.perform(post("/images/{id}/restore", image).param("hostId", agent.hostId()).with(user("o").roles("OPERATOR"))
                        .with(csrf().useInvalidToken()))
                .andExpect(status().isForbidden());
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ?").param(image).query(Long.class).single()).isZero();
        mvc.perform(post("/images/{id}/restore", image).param("hostId", agent.hostId()).with(user("o").roles("OPERATOR"))
                        .with(csrf()))
                .andExpect(status().is3xxRedirection());
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ?").param(image).query(Long.class).single()).isOne();
    }

    @Test
    void sessionApiCallsNeedCsrfButBearerAuthenticatedOnesDoNot() throws Exception {
        var agent = fx.host("node");
        String image = fx.image(agent, "sim");
        String body = "{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, agent.hostId());
        mvc.perform(post("/api/restores").with(user("o").roles("OPERATOR")).header("Cookie", "JSESSIONID=from-the-browser")
                        .contentType("application/json").content(body))
                .andExpect(status().isForbidden());
        String operator = fx.user(Role.OPERATOR);
        var session = login(operator, operator + "-password");
        mvc.perform(inSession(post("/api/restores"), session).contentType("application/json").content(body))
                .andExpect(status().isForbidden());
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ?").param(image).query(Long.class).single()).isZero();
        mvc.perform(inSession(post("/api/restores"), session).with(csrf()).contentType("application/json").content(body))
                .andExpect(status().isCreated());
        // A bearer request skips CSRF (its token is no ambient credential) and is then judged by its role.
        mvc.perform(post("/api/chunks/query").header("Authorization", agent.bearer()).header("Cookie", "JSESSIONID=x")
                        .contentType("application/json").content("{\"keys\":[]}"))
                .andExpect(status().isOk());
    }

    @Test
    void anAuthorizationHeaderOtherThanBearerDoesNotSkipCsrf() throws Exception {
        var agent = fx.host("node");
        String image = fx.image(agent, "sim");
        String operator = fx.user(Role.OPERATOR);
        var session = login(operator, operator + "-password");
        String body = "{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, agent.hostId());
        mvc.perform(inSession(post("/api/restores"), session).header("Authorization", basic(operator, operator + "-password"))
                        .contentType("application/json").content(body))
                .andExpect(status().isForbidden());
        mvc.perform(inSession(post("/api/restores"), session).header("Authorization", "Basic Zm9vOmJhcg==")
                        .contentType("application/json").content(body))
                .andExpect(status().isForbidden());
        assertThat(jdbc.sql("SELECT count(*) FROM restore_requests WHERE image_id = ?").param(image).query(Long.class).single()).isZero();
    }

    @Test
    void httpBasicIsNotAcceptedAndNotOffered() throws Exception {
        String viewer = fx.user(Role.VIEWER);
        mvc.perform(get("/api/images").header("Authorization", basic(viewer, viewer + "-password")))
                .andExpect(status().isUnauthorized())
                .andExpect(header().string("WWW-Authenticate", org.hamcrest.Matchers.not(containsString("Basic"))));
    }

    @Test
    void wrongPasswordIsRefusedAndAudited() throws Exception {
        String viewer = fx.user(Role.VIEWER);
        mvc.perform(formLogin("/login").user(viewer).password("wrong-password"))
                .andExpect(unauthenticated());
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'user.login-failed' AND target_id = ?")
                .param(viewer).query(Long.class).single()).isOne();
    }

    @Test
    void firstAdministratorComesFromConfigurationWithAHashedPassword() throws Exception {
        String hash = jdbc.sql("SELECT password_hash FROM users WHERE username = 'admin'").query(String.class).single();
        assertThat(hash).startsWith("{bcrypt}").doesNotContain("admin-password-for-tests");
        mvc.perform(inSession(get("/api/users"), login("admin", "admin-password-for-tests")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[?(@.username == 'admin')].role").value("ADMIN"));
    }

    @Test
    void webPagesRedirectBrowsersToTheLoginPage() throws Exception {
        mvc.perform(get("/images").accept("text/html"))
                .andExpect(status().is3xxRedirection())
                .andExpect(header().string("Location", org.hamcrest.Matchers.endsWith("/login")));
        mvc.perform(get("/login")).andExpect(status().isOk());
    }

    @Test
    void healthIsOpenButMetricsNeedASessionOrTheScrapeToken() throws Exception {
        mvc.perform(get("/actuator/health")).andExpect(status().isOk()).andExpect(jsonPath("$.status").value("UP"));
        mvc.perform(get("/actuator/prometheus")).andExpect(status().isUnauthorized())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"));
        mvc.perform(get("/actuator/prometheus").header("Authorization", "Bearer not-the-scrape-token"))
                .andExpect(status().isUnauthorized());
        var agent = fx.host("scraper");
        mvc.perform(get("/actuator/prometheus").header("Authorization", agent.bearer()))
                .andExpect(status().isUnauthorized());
        String token = java.nio.file.Files.readString(java.nio.file.Path.of("src/test/resources/metrics-token")).strip();
        mvc.perform(get("/actuator/prometheus").header("Authorization", "Bearer " + token)).andExpect(status().isOk())
                .andExpect(content().string(containsString("jvm_memory_used_bytes")));
        String viewer = fx.user(Role.VIEWER);
        mvc.perform(inSession(get("/actuator/prometheus"), login(viewer, viewer + "-password"))).andExpect(status().isOk());
        // The scrape token is good for nothing else.
        mvc.perform(get("/api/images").header("Authorization", "Bearer " + token)).andExpect(status().isUnauthorized());
    }

    @Test
    void logoutIsAudited() throws Exception {
        String viewer = fx.user(Role.VIEWER);
        var session = login(viewer, viewer + "-password");
        mvc.perform(inSession(post("/logout"), session).with(csrf())).andExpect(status().is3xxRedirection());
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE action = 'user.logout' AND actor = ?")
                .param(viewer).query(Long.class).single()).isOne();
    }
}
