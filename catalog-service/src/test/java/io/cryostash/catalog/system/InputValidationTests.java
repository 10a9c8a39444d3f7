// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.schema.catalog.HostReport;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.catalog.ProcessSummary;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.hamcrest.Matchers.*;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.*;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.*;

/** Every input of the API is checked, and every problem names the field or parameter it is about. */
@CatalogTest
class InputValidationTests {

    @Autowired MockMvc mvc;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired JsonMapper json;
    @Autowired io.cryostash.catalog.image.ImageService images;

    private org.springframework.test.web.servlet.ResultActions heartbeat(Fixtures.Agent a, Object report) throws Exception {
        return mvc.perform(put("/api/hosts/{id}/heartbeat", a.hostId()).header("Authorization", a.bearer())
                .contentType("application/json").content(fx.toJson(report)));
    }

    @Test
    void hugeHeartbeatIsRefusedNamingEachFieldAndChangesNothing() throws Exception {
        var agent = fx.host("huge");
        List<String> flags = new ArrayList<>(Collections.nCopies(50_000, "sse2"));
        heartbeat(agent, new HostReport("n".repeat(100_000), "x86_64", "6.18.0", "c".repeat(300), flags,
                        "v".repeat(300), "1".repeat(65), "0.1.0"))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.errors", containsInAnyOrder(
                        startsWith("name: must be 1 to 200 characters"),
                        startsWith("cpuModel: must be 1 to 256 characters"),
                        startsWith("cpuFlags: at most 2048 flags (has 50000)"),
                        startsWith("vdsoFingerprint: must be"),
                        startsWith("captureAgentVersion: must be"))));
        assertThat(jdbc.sql("SELECT name FROM hosts WHERE id = ?").param(agent.hostId()).query(String.class).single())
                .isEqualTo(agent.hostId());
        assertThat(jdbc.sql("SELECT cardinality(cpu_flags) FROM hosts WHERE id = ?").param(agent.hostId()).query(Integer.class).single())
                .isEqualTo(Fixtures.X86_FLAGS.size());
    }

    @Test
    void heartbeatFieldsMustLookLikeWhatTheyAre() throws Exception {
        var agent = fx.host("chars");
        // NUL itself is refused as the body is read (400, naming the field); other control characters here.
        heartbeat(agent, new HostReport("web-01", null, null, "Xeon\u0000", null, null, null, null))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.errors[0]").value("cpuModel: must not contain NUL characters"));
        heartbeat(agent, new HostReport("web\n01", "x86 64", "6.18 #1", "Xeon\u0007", List.of("avx2", "evil flag"),
                        "ok", "1.0", "1.0;rm"))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", containsInAnyOrder(
                        startsWith("name: must not contain control characters"),
                        startsWith("arch: must be 1 to 32 letters"),
                        startsWith("kernel: must be 1 to 64 printable ASCII"),
                        startsWith("cpuModel: must not contain control characters"),
                        startsWith("cpuFlags[1]: must be 1 to 64 letters"),
                        startsWith("restoreAgentVersion: must be"))));
        // What real hosts send passes: arm64 flags, a distribution kernel, a long model name.
        heartbeat(agent, new HostReport("web-01.example.org", "aarch64", "6.1.0-28-arm64+rt",
                        "Neoverse-N1 r3p1 (Ampere(R) Altra(R) Processor Q80-30 CPU @ 3.0GHz)",
                        List.of("fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "atomics"),
                        "sha256:0f1e2d3c4b5a", "0.1.0-SNAPSHOT+build.7", "0.1.0"))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.arch").value("aarch64"));
    }

    @Test
    void restoreStatusPidMustBeALinuxPidAndALongErrorIsCutNotLost() throws Exception {
        var source = fx.host("src");
        var target = fx.host("dst");
        String image = fx.image(source, "sim");
        String id = json.readTree(mvc.perform(post("/api/restores").with(user("op").roles("OPERATOR")).with(csrf())
                        .contentType("application/json")
                        .content("{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, target.hostId())))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString()).get("id").asString();
        for (int pid : new int[] {0, -5, 4_194_305}) {
            mvc.perform(put("/api/restores/{id}/status", id).header("Authorization", target.bearer())
                            .contentType("application/json").content("{\"state\":\"COMPLETED\",\"pid\":" + pid + "}"))
                    .andExpect(status().isUnprocessableEntity())
                    .andExpect(jsonPath("$.errors", contains(startsWith("pid: must be between 1 and 4194304"))));
        }
        mvc.perform(put("/api/restores/{id}/status", id).header("Authorization", target.bearer())
                        .contentType("application/json").content("{\"state\":\"COMPLETED\",\"pid\":\"many\"}"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail").value("pid: must be a whole number, not \"many\""));
        String error = "restore failed: " + "x".repeat(20_000);
        mvc.perform(put("/api/restores/{id}/status", id).header("Authorization", target.bearer())
                        .contentType("application/json").content(fx.toJson(java.util.Map.of("state", "FAILED", "error", error))))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$.state").value("FAILED"));
        String kept = jdbc.sql("SELECT error FROM restore_requests WHERE id = ?::uuid").param(id).query(String.class).single();
        assertThat(kept).hasSizeLessThanOrEqualTo(4_000).startsWith("restore failed: xxx").endsWith("[cut: 20016 characters in all]");
    }

    /** A checkpoint.completed as an agent posts it to /api/images. */
    ObjectNode completed(Fixtures.Agent agent) {
        return (ObjectNode) json.valueToTree(new CheckpointCompleted(CheckpointCompleted.VERSION, null, agent.hostId(), "sim", null,
                "a".repeat(64), "manifests/" + "a".repeat(64), null, Instant.now(), 10, 5, null));
    }

    @Test
    void bodyMissingARequiredNumberNamesTheField() throws Exception {
        var agent = fx.host("body");
        ObjectNode r = completed(agent);
        r.remove("storedBytes");
        mvc.perform(post("/api/images").header("Authorization", agent.bearer()).contentType("application/json").content(r.toString()))
                .andExpect(status().isBadRequest())
                .andExpect(content().contentTypeCompatibleWith("application/problem+json"))
                .andExpect(jsonPath("$.detail").value("storedBytes: is required (a whole number)"))
                .andExpect(jsonPath("$.errors", contains("storedBytes: is required (a whole number)")));
        r.putNull("storedBytes");
        mvc.perform(post("/api/images").header("Authorization", agent.bearer()).contentType("application/json").content(r.toString()))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail").value("storedBytes: is required (a whole number)"));
    }

    @Test
    void bodyWithAWrongTypeNamesThePathToIt() throws Exception {
        var agent = fx.host("body");
        ObjectNode r = completed(agent);
        r.put("logicalBytes", "lots");
        mvc.perform(post("/api/images").header("Authorization", agent.bearer()).contentType("application/json").content(r.toString()))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail").value("logicalBytes: must be a whole number, not \"lots\""));
        r.put("logicalBytes", 1);
        r.put("capturedAt", "yesterday");
        mvc.perform(post("/api/images").header("Authorization", agent.bearer()).contentType("application/json").content(r.toString()))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail", startsWith("capturedAt: must be an ISO-8601 time")));
        mvc.perform(post("/api/images").header("Authorization", agent.bearer()).contentType("application/json").content("{\"imageId\":"))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail", startsWith("body: is not well-formed JSON at line 1")));
    }

    /**
     * Found by RestInputFuzzProperties: a number where a string belongs was taken as its text (a
     * heartbeat's {@code "arch": 2147483646} became the host's architecture "2147483646").
     */
    @Test
    void aNumberOrABooleanWhereTextBelongsIsAWrongType() throws Exception {
        var agent = fx.host("types");
        for (String value : List.of("2147483646", "1.5", "true")) {
            mvc.perform(put("/api/hosts/{id}/heartbeat", agent.hostId()).header("Authorization", agent.bearer())
                            .contentType("application/json").content("{\"name\":\"n\",\"arch\":" + value + "}"))
                    .andExpect(status().isBadRequest())
                    .andExpect(jsonPath("$.detail", startsWith("arch: ")));
        }
        assertThat(jdbc.sql("SELECT arch FROM hosts WHERE id = ?").param(agent.hostId()).query(String.class).single())
                .isEqualTo("x86_64");
        ObjectNode r = completed(agent);
        r.put("job", 42);
        mvc.perform(post("/api/images").header("Authorization", agent.bearer()).contentType("application/json").content(r.toString()))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail", startsWith("job: ")));
    }

    @Test
    void registrationChecksTheProcessSummaryToo() throws Exception {
        var agent = fx.host("proc");
        ImageRegistration ok = fx.registration(agent, "sim", Instant.now(), null, 900_200, 1);
        ProcessSummary p = ok.process();
        ProcessSummary bad = new ProcessSummary(0, p.command(), p.argv(), "x86_64; DROP", Collections.nCopies(3_000, "avx"),
                "v".repeat(257), "6.18.0", -1, p.memoryAreas(), p.openFiles(), p.rssBytes());
        ImageRegistration r = new ImageRegistration(ok.imageId(), ok.hostId(), ok.job(), ok.jobLabels(), ok.capturedAt(), null,
                ok.logicalBytes(), ok.storedBytes(), ok.manifestKey(), ok.signature(), bad, ok.chunks());
        assertThatThrownBy(() -> images.register(r)).isInstanceOfSatisfying(InvalidRequestException.class, e ->
                assertThat(e.problems()).satisfiesExactlyInAnyOrder(x -> assertThat(x).startsWith("process.pid:"),
                        x -> assertThat(x).startsWith("process.arch:"), x -> assertThat(x).startsWith("process.cpuFlags: at most 2048"),
                        x -> assertThat(x).startsWith("process.vdsoFingerprint:"), x -> assertThat(x).startsWith("process.threads:")));
        assertThat(jdbc.sql("SELECT count(*) FROM images WHERE id = ?").param(r.imageId()).query(Long.class).single()).isZero();
    }

    @Test
    void queryParameterProblemsNameTheParameter() throws Exception {
        mvc.perform(get("/api/images").param("size", "0").with(user("v").roles("VIEWER")))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", contains("size: must be greater than or equal to 1")));
        mvc.perform(get("/api/images").param("size", "501").param("page", "-1").with(user("v").roles("VIEWER")))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", contains("page: must be greater than or equal to 0",
                        "size: must be less than or equal to 500")));
        mvc.perform(get("/api/images").param("page", "two").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail").value("page: must be a whole number, not \"two\""));
        mvc.perform(get("/api/images").param("state", "GONE").with(user("v").roles("VIEWER")))
                .andExpect(status().isBadRequest())
                .andExpect(jsonPath("$.detail", startsWith("state: must be one of [UPLOADING, COMPLETE, EXPIRED, DELETED]")));
    }

    @Test
    void imageWithoutAnArchitectureIsOfferedNoHost() throws Exception {
        var agent = fx.host("noarch");
        ImageRegistration ok = fx.registration(agent, "sim", Instant.now(), null, 900_300, 1);
        ProcessSummary p = ok.process();
        ProcessSummary noArch = new ProcessSummary(p.pid(), p.command(), p.argv(), null, p.cpuFlags(), p.vdsoFingerprint(),
                p.kernel(), p.threads(), p.memoryAreas(), p.openFiles(), p.rssBytes());
        String id = fx.register(agent, new ImageRegistration(ok.imageId(), ok.hostId(), ok.job(), ok.jobLabels(), ok.capturedAt(),
                null, ok.logicalBytes(), ok.storedBytes(), ok.manifestKey(), ok.signature(), noArch, ok.chunks()));
        mvc.perform(get("/api/images/{id}/compatible-hosts", id).with(user("v").roles("VIEWER")))
                .andExpect(status().isOk())
                .andExpect(jsonPath("$[?(@.host.id == '%s')].reasons[0]".formatted(agent.hostId()))
                        .value("image does not record its architecture"));
        mvc.perform(post("/api/restores").with(user("op").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(id, agent.hostId())))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", hasItem(containsString("image does not record its architecture"))));
    }

    @Test
    void jobLabelsAndHostNamesHaveLimitsToo() throws Exception {
        var agent = fx.host("jobs");
        var many = new java.util.HashMap<String, String>();
        for (int i = 0; i < 65; i++) many.put("k" + i, "v");
        mvc.perform(post("/api/jobs").with(user("op").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content(fx.toJson(java.util.Map.of("hostId", agent.hostId(), "name", "j", "pid", 5_000_000, "labels", many))))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", containsInAnyOrder(startsWith("labels: size must be between 0 and 64"),
                        startsWith("pid: must be less than or equal to 4194304"))));
        mvc.perform(post("/api/jobs").with(user("op").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content(fx.toJson(java.util.Map.of("hostId", agent.hostId(), "name", "j", "pid", 5,
                                "labels", java.util.Map.of("team", "x".repeat(300))))))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors[0]", startsWith("labels")));
        mvc.perform(post("/api/hosts").with(user("ad").roles("ADMIN")).with(csrf()).contentType("application/json")
                        .content(fx.toJson(java.util.Map.of("id", Fixtures.unique("h"), "name", "two\nlines"))))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors", contains("name: must not contain control characters")));
    }
}
