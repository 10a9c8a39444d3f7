// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.enrolment;

import java.util.Base64;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.security.EnrolmentTokenService;
import io.cryostash.schema.catalog.HostReport;
import io.cryostash.store.sign.HostKeys;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.ResultActions;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.*;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

/** Hosts enrol with an enrolment token and their signing key; the key is fixed until an administrator resets it. */
@CatalogTest
class EnrolmentApiTests {

    @Autowired MockMvc mvc;
    @Autowired JsonMapper json;
    @Autowired JdbcClient jdbc;
    @Autowired EnrolmentTokenService enrolmentTokens;

    String enrolmentToken() throws Exception {
        String body = mvc.perform(post("/api/enrolment-tokens").with(user("admin").roles("ADMIN")).with(csrf())
                        .contentType("application/json").content("{\"label\":\"rack 4\",\"expiresInHours\":2}"))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.token", startsWith("cse_")))
                .andReturn().getResponse().getContentAsString();
        return json.readTree(body).get("token").asString();
    }

    ResultActions enrol(String token, String hostId, HostKeys keys) throws Exception {
        String body = json.writeValueAsString(Map.of("hostId", hostId,
                "publicKey", Base64.getEncoder().encodeToString(keys.publicKey().getEncoded()),
                "report", new HostReport(hostId, "x86_64", "6.18.0", "CPU", Fixtures.X86_FLAGS, Fixtures.VDSO, "0.1.0", "0.1.0")));
        return mvc.perform(post("/api/hosts/enrol").header("Authorization", "Bearer " + token).contentType("application/json").content(body));
    }

    @Test
    void aHostEnrolsOnceWithItsKeyAndAnotherKeyIsRefusedUntilAnAdminResetsIt() throws Exception {
        String token = enrolmentToken();
        String host = Fixtures.unique("enrol");
        HostKeys key = HostKeys.ephemeral();
        String agentToken = json.readTree(enrol(token, host, key)
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.hostId").value(host))
                .andExpect(jsonPath("$.agentToken", startsWith("cst_")))
                .andReturn().getResponse().getContentAsString()).get("agentToken").asString();
        // The agent token works as one of that host.
        mvc.perform(put("/api/hosts/{id}/heartbeat", host).header("Authorization", "Bearer " + agentToken).contentType("application/json")
                        .content("{}"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.keyFingerprint").value(io.cryostash.catalog.store.KeyFingerprint.of(key.publicKey().getEncoded())))
                .andExpect(jsonPath("$.keyFingerprint").value(key.keyId()));
        enrol(token, host, key).andExpect(status().isOk()).andExpect(jsonPath("$.agentToken", startsWith("cst_")));
        enrol(token, host, HostKeys.ephemeral()).andExpect(status().isConflict())
                .andExpect(jsonPath("$.detail", containsString("another key")));

        mvc.perform(delete("/api/hosts/{id}/key", host).with(user("op").roles("OPERATOR")).with(csrf())).andExpect(status().isForbidden());
        mvc.perform(delete("/api/hosts/{id}/key", host).with(user("admin").roles("ADMIN")).with(csrf())).andExpect(status().isNoContent());
        // The old agent's tokens went with its key.
        mvc.perform(put("/api/hosts/{id}/heartbeat", host).header("Authorization", "Bearer " + agentToken).contentType("application/json")
                .content("{}")).andExpect(status().isUnauthorized());
        enrol(token, host, HostKeys.ephemeral()).andExpect(status().isCreated());
        assertThat(jdbc.sql("SELECT count(*) FROM audit_log WHERE target_id = ? AND action IN ('host.enrolled', 'host.key-reset')")
                .param(host).query(Long.class).single()).isEqualTo(4L);
        assertThat(jdbc.sql("SELECT uses FROM enrolment_tokens WHERE token_hash = sha256(convert_to(?, 'UTF8'))").param(token)
                .query(Integer.class).single()).isEqualTo(3);
    }

    @Test
    void revokedUnknownAndOtherTokensCannotEnrol() throws Exception {
        String token = enrolmentToken();
        long id = jdbc.sql("SELECT id FROM enrolment_tokens WHERE token_hash = sha256(convert_to(?, 'UTF8'))").param(token)
                .query(Long.class).single();
        mvc.perform(delete("/api/enrolment-tokens/{id}", id).with(user("admin").roles("ADMIN")).with(csrf())).andExpect(status().isNoContent());
        enrol(token, Fixtures.unique("revoked"), HostKeys.ephemeral()).andExpect(status().isUnauthorized());
        enrol("cse_forged", Fixtures.unique("forged"), HostKeys.ephemeral()).andExpect(status().isUnauthorized());
        String expired = enrolmentTokens.issue("old", java.time.Instant.now().minusSeconds(1), Actor.system()).token();
        enrol(expired, Fixtures.unique("expired"), HostKeys.ephemeral()).andExpect(status().isUnauthorized());
        // An agent token is not an enrolment token.
        String other = enrolmentToken();
        String agentToken = json.readTree(enrol(other, Fixtures.unique("agent"), HostKeys.ephemeral())
                .andReturn().getResponse().getContentAsString()).get("agentToken").asString();
        enrol(agentToken, Fixtures.unique("by-agent"), HostKeys.ephemeral()).andExpect(status().isForbidden());
    }

    @Test
    void aKeyThatIsNotEd25519IsRefused() throws Exception {
        String token = enrolmentToken();
        mvc.perform(post("/api/hosts/enrol").header("Authorization", "Bearer " + token).contentType("application/json")
                        .content("{\"hostId\":\"%s\",\"publicKey\":\"bm90IGEga2V5\"}".formatted(Fixtures.unique("badkey"))))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors[0]", startsWith("publicKey:")));
    }

    /** Found by RestInputFuzzProperties: the answer passed on the JDK's "IOException: null". */
    @Test
    void aRefusedKeyIsExplainedWithoutTheJdksExceptionNames() throws Exception {
        String token = enrolmentToken();
        // a cut X.509 header, bytes that are no key, not base64 at all
        for (String key : List.of("MCowBQYDK2VwAyEA", "bm90IGEga2V5", "not base64!")) {
            mvc.perform(post("/api/hosts/enrol").header("Authorization", "Bearer " + token).contentType("application/json")
                            .content("{\"hostId\":\"%s\",\"publicKey\":\"%s\"}".formatted(Fixtures.unique("badkey"), key)))
                    .andExpect(status().isUnprocessableEntity())
                    .andExpect(jsonPath("$.errors[0]", startsWith("publicKey: is not")))
                    .andExpect(jsonPath("$.errors[0]", not(containsString("Exception"))));
        }
    }

    @Test
    void everyAgentMayReadEveryEnrolledHostsPublicKeyAndNothingElseOfIt() throws Exception {
        String token = enrolmentToken();
        String a = Fixtures.unique("key-a");
        String b = Fixtures.unique("key-b");
        HostKeys keyA = HostKeys.ephemeral();
        enrol(token, a, keyA).andExpect(status().isCreated());
        String agentB = json.readTree(enrol(token, b, HostKeys.ephemeral()).andReturn().getResponse().getContentAsString())
                .get("agentToken").asString();
        // B's agent restores what A captured: the catalog vouches for A's key.
        mvc.perform(get("/api/hosts/{id}/key", a).header("Authorization", "Bearer " + agentB))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.hostId").value(a))
                .andExpect(jsonPath("$.publicKey").value(Base64.getEncoder().encodeToString(keyA.publicKey().getEncoded())))
                .andExpect(jsonPath("$.keyFingerprint").value(keyA.keyId()))
                .andExpect(jsonPath("$.enrolledAt").isNotEmpty());
        // The key, not the host: the rest of A stays for people.
        mvc.perform(get("/api/hosts/{id}", a).header("Authorization", "Bearer " + agentB)).andExpect(status().isForbidden());
        mvc.perform(get("/api/hosts/{id}/key", a).with(user("v").roles("VIEWER"))).andExpect(status().isOk());
        mvc.perform(get("/api/hosts/{id}/key", a)).andExpect(status().isUnauthorized());
        mvc.perform(get("/api/hosts/{id}/key", Fixtures.unique("nobody")).header("Authorization", "Bearer " + agentB))
                .andExpect(status().isNotFound());
        // A host without a key (announced, or reset by an admin) has none to give.
        mvc.perform(delete("/api/hosts/{id}/key", a).with(user("admin").roles("ADMIN")).with(csrf())).andExpect(status().isNoContent());
        mvc.perform(get("/api/hosts/{id}/key", a).header("Authorization", "Bearer " + agentB))
                .andExpect(status().isNotFound())
                .andExpect(jsonPath("$.detail", containsString("signing key")));
    }

    @Test
    void theHostsPageShowsKeyFingerprints() throws Exception {
        String token = enrolmentToken();
        String host = Fixtures.unique("page");
        HostKeys key = HostKeys.ephemeral();
        enrol(token, host, key).andExpect(status().isCreated());
        mvc.perform(get("/hosts").with(user("admin").roles("ADMIN")))
                .andExpect(status().isOk())
                .andExpect(content().string(containsString(key.keyId())))
                .andExpect(content().string(containsString("rack 4")));
    }
}
