// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.bootstrap;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.user.Role;
import io.cryostash.catalog.user.UserRepository;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.startsWith;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.*;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

/** User API tokens act as their user with the user's current role; StackBootstrap issues a label's tokens once. */
@CatalogTest
class TokensAndBootstrapTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JsonMapper json;
    @Autowired UserRepository users;
    @Autowired StackBootstrap bootstrap;

    String token(String username) throws Exception {
        String body = mvc.perform(post("/api/users/me/tokens").with(user(username).roles("VIEWER")).with(csrf())
                        .contentType("application/json").content("{\"label\":\"laptop\"}"))
                .andExpect(status().isCreated()).andExpect(jsonPath("$.token", startsWith("csu_")))
                .andReturn().getResponse().getContentAsString();
        return json.readTree(body).get("token").asString();
    }

    @Test
    void aUserTokenActsWithTheUsersCurrentRoleAndStopsWhenTheUserIsDisabled() throws Exception {
        String name = fx.user(Role.VIEWER);
        String token = token(name);
        mvc.perform(get("/api/images").header("Authorization", "Bearer " + token)).andExpect(status().isOk());
        String job = "{\"hostId\":\"no-such-host\",\"name\":\"x\",\"pid\":1}";
        mvc.perform(post("/api/jobs").header("Authorization", "Bearer " + token).contentType("application/json").content(job))
                .andExpect(status().isForbidden());
        users.update(name, Role.OPERATOR, null, null);
        // Now an operator: the same token may create jobs (this one is refused only for its unknown host).
        mvc.perform(post("/api/jobs").header("Authorization", "Bearer " + token).contentType("application/json").content(job))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors[0]").value("hostId: no host no-such-host"));
        mvc.perform(get("/api/users/me/tokens").header("Authorization", "Bearer " + token))
                .andExpect(jsonPath("$[0].label").value("laptop"));
        users.update(name, null, false, null);
        mvc.perform(get("/api/images").header("Authorization", "Bearer " + token)).andExpect(status().isUnauthorized());
    }

    @Test
    void aRevokedUserTokenIsRefused() throws Exception {
        String name = fx.user(Role.VIEWER);
        String token = token(name);
        long id = json.readTree(mvc.perform(get("/api/users/me/tokens").header("Authorization", "Bearer " + token))
                .andReturn().getResponse().getContentAsString()).get(0).get("id").asLong();
        mvc.perform(delete("/api/users/me/tokens/{id}", id).header("Authorization", "Bearer " + token)).andExpect(status().isNoContent());
        mvc.perform(get("/api/images").header("Authorization", "Bearer " + token)).andExpect(status().isUnauthorized());
    }

    @Test
    void bootstrapIssuesALabelsTokensOnceAndTheyWork() throws Exception {
        String label = Fixtures.unique("stack");
        ClientCredentials first = bootstrap.ensureClientCredentials(label);
        assertThat(first.created()).isTrue();
        assertThat(first.userToken()).startsWith("csu_");
        assertThat(first.enrolmentToken()).startsWith("cse_");
        assertThat(first.adminUsername()).isEqualTo("admin");
        // The tests configure the admin's password: none was generated to hand out.
        assertThat(first.adminPassword()).isNull();
        ClientCredentials again = bootstrap.ensureClientCredentials(label);
        assertThat(again.created()).isFalse();
        assertThat(again.userToken()).isNull();
        mvc.perform(get("/api/enrolment-tokens").header("Authorization", "Bearer " + first.userToken())).andExpect(status().isOk());
        ClientCredentials replaced = bootstrap.reissue(label);
        assertThat(replaced.userToken()).isNotEqualTo(first.userToken());
        mvc.perform(get("/api/images").header("Authorization", "Bearer " + first.userToken())).andExpect(status().isUnauthorized());
        mvc.perform(get("/api/images").header("Authorization", "Bearer " + replaced.userToken())).andExpect(status().isOk());
    }
}
