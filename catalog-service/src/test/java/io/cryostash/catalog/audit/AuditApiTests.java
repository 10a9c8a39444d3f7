// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.audit;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.*;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.*;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

@CatalogTest
class AuditApiTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JsonMapper json;

    @Test
    void everyChangeIsRecordedWithWhoWhatAndWhere() throws Exception {
        var agent = fx.host("audited");
        String image = fx.image(agent, "sim");
        mvc.perform(post("/api/restores").with(user("carol").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, agent.hostId())))
                .andExpect(status().isCreated());

        mvc.perform(get("/api/audit").param("targetId", image).with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.items[0].action").value("image.registered"))
                .andExpect(jsonPath("$.items[0].actor").value("agent:" + agent.hostId()))
                .andExpect(jsonPath("$.items[0].actorKind").value("AGENT"));
        mvc.perform(get("/api/audit").param("actor", "carol").param("action", "restore.").with(user("v").roles("VIEWER")))
                .andExpect(jsonPath("$.items[*].action", everyItem(is("restore.requested"))))
                .andExpect(jsonPath("$.items[0].remoteAddr").value("127.0.0.1"))
                .andExpect(jsonPath("$.items[0].details", containsString(image)));
    }

    @Test
    void exportsCsvAndJson() throws Exception {
        var agent = fx.host("export");
        String csv = mvc.perform(get("/api/audit/export").param("format", "csv").param("targetId", agent.hostId())
                        .with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(content().contentTypeCompatibleWith("text/csv"))
                .andReturn().getResponse().getContentAsString();
        assertThat(csv.lines().findFirst()).contains("id,at,actor,actor_kind,action,target_type,target_id,remote_addr,details,chain_seq,chain_hash");
        assertThat(csv).contains("agent-token.issued").contains(",\"{\"\"");

        String body = mvc.perform(get("/api/audit/export").param("format", "json").param("targetId", agent.hostId())
                        .with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andReturn().getResponse().getContentAsString();
        JsonNode arr = json.readTree(body);
        assertThat(arr.isArray()).isTrue();
        assertThat(arr.size()).isGreaterThanOrEqualTo(2);
        assertThat(arr.get(0).get("action").asString()).isEqualTo("agent-token.issued");
        assertThat(arr.get(0).get("details").get("prefix").asString()).startsWith("cst_");
    }

    @Test
    void csvNeutralisesSpreadsheetFormulas() {
        assertThat(AuditController.csv("=cmd()")).isEqualTo("'=cmd()");
        assertThat(AuditController.csv("a,b")).isEqualTo("\"a,b\"");
    }

    @Test
    void unknownExportFormatIsABadRequest() throws Exception {
        mvc.perform(get("/api/audit/export").param("format", "xml").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest());
    }
}
