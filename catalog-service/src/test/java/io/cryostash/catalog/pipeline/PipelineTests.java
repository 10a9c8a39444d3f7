// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.PipelineFixtures;
import io.cryostash.catalog.PipelineFixtures.TestAgent;
import io.cryostash.catalog.PipelineTest;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.CheckpointFailed;
import io.cryostash.schema.event.EventCodec;
import io.cryostash.schema.event.RestoreRequested;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.event.SnapshotRequested;
import io.cryostash.schema.event.Topics;
import io.cryostash.store.sign.HostKeys;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static io.cryostash.catalog.PipelineFixtures.await;
import static io.cryostash.catalog.PipelineFixtures.consumer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.csrf;
import static org.springframework.security.test.web.servlet.request.SecurityMockMvcRequestPostProcessors.user;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * The catalog's side of the pipeline against a real broker, a real S3 server and real signed
 * manifests written by image-store: what agents report is verified and applied once, what the
 * catalog asks for reaches the topic keyed by the host that must act.
 */
@PipelineTest
class PipelineTests {

    static final Duration WITHIN = Duration.ofSeconds(30);

    @Autowired PipelineFixtures pf;
    @Autowired Fixtures fx;
    @Autowired MockMvc mvc;
    @Autowired JdbcClient jdbc;
    @Autowired JsonMapper json;
    final EventCodec codec = new EventCodec();

    static CheckpointCompleted completed(TestAgent a, String imageId, String job, UUID request) {
        // Sizes far from the truth: the catalog must take the manifest's, not these.
        return new CheckpointCompleted(CheckpointCompleted.VERSION, request, a.hostId(), job, java.util.Map.of("team", "physics"),
                imageId, "manifests/" + imageId, null, Instant.now(), 999_999_999L, 1L, 7L);
    }

    long count(String sql, Object... args) {
        return jdbc.sql(sql).params(args).query(Long.class).single();
    }

    void awaitRegistered(String imageId) {
        await().atMost(WITHIN).until(() -> count("SELECT count(*) FROM images WHERE id = ?", imageId) == 1);
    }

    void awaitDeadLetter(String key, String reasonContains) {
        await().atMost(WITHIN).until(() -> count("SELECT count(*) FROM dead_letters WHERE message_key = ? AND reason LIKE ?",
                key, "%" + reasonContains + "%") >= 1);
    }

    @Test
    void checkpointCompletedRegistersWhatTheSignedManifestSays() throws Exception {
        TestAgent a = pf.enrol("reg");
        String image = PipelineFixtures.writeImage(a, 4242, "alpha", 40, null);
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, completed(a, image, "sim", null), a.keys());
        awaitRegistered(image);

        String body = mvc.perform(get("/api/images/{id}", image).with(user("v").roles("VIEWER")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        JsonNode d = json.readTree(body);
        assertThat(d.get("hostId").asString()).isEqualTo(a.hostId());
        assertThat(d.get("job").asString()).isEqualTo("sim");
        assertThat(d.get("manifestKey").asString()).isEqualTo("manifests/" + image);
        JsonNode p = d.get("process");
        assertThat(p.get("pid").asInt()).isEqualTo(4242);
        assertThat(p.get("argv").toString()).contains("alpha");
        assertThat(p.get("arch").asString()).isEqualTo("x86_64");
        assertThat(p.get("threads").asInt()).isEqualTo(2);
        assertThat(p.get("cpuFlags").toString()).contains("avx2");
        // 40 pages in chunks of 16 pages: 3 chunks, plus the chunk table naming them.
        assertThat(d.get("chunks").get("count").asInt()).isEqualTo(4);
        assertThat(d.get("logicalBytes").asLong()).isLessThan(999_999_999L).isGreaterThanOrEqualTo(40 * 4096L);
        // the anonymous area and the program's code mapping (PipelineFixtures writes a consistent image)
        assertThat(d.get("contents").get("areas").get("total").asInt()).isEqualTo(2);
        assertThat(d.get("contents").get("fds").get("items").get(0).get("target").asString()).isEqualTo("/var/lib/sim/out.dat");
        assertThat(count("SELECT count(*) FROM image_chunk_lists l, unnest(l.keys) k JOIN chunks c ON c.key = k WHERE l.image_id = ? AND c.pack_key IS NULL",
                image)).as("every chunk knows its pack").isZero();
        assertThat(count("SELECT count(*) FROM jobs WHERE host_id = ? AND name = 'sim' AND pid = 4242", a.hostId())).isOne();
    }

    @Test
    void theSameEventTwiceRegistersOnce() throws Exception {
        TestAgent a = pf.enrol("twice");
        String image = PipelineFixtures.writeImage(a, 100, "beta", 4, null);
        String marker = PipelineFixtures.writeImage(a, 100, "beta-later", 4, image);
        var e = completed(a, image, "sim", null);
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, e, a.keys());
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, e, a.keys());
        // Same key, same partition: once the later event is registered, both copies have been handled.
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, completed(a, marker, "sim", null), a.keys());
        awaitRegistered(marker);
        assertThat(count("SELECT count(*) FROM images WHERE id = ?", image)).isOne();
        assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'image.registered' AND target_id = ?", image)).isOne();
        assertThat(count("SELECT count(*) FROM dead_letters WHERE message_key = ?", a.hostId())).isZero();
        assertThat(jdbc.sql("SELECT parent_id FROM images WHERE id = ?").param(marker).query(String.class).single()).isEqualTo(image);
    }

    @Test
    void aManifestSignedByAnotherKeyIsRefusedAndNotRegistered() throws Exception {
        TestAgent a = pf.enrol("forged");
        // The same host id, but an image written with a key the host never enrolled.
        TestAgent impostor = new TestAgent(a.hostId(), java.nio.file.Files.createTempDirectory("impostor"), null, null);
        String image = PipelineFixtures.writeImage(impostor, 7, "gamma", 4, null);
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, completed(a, image, "sim", null), a.keys());
        awaitDeadLetter(a.hostId(), "not by the key its host enrolled");
        assertThat(count("SELECT count(*) FROM images WHERE id = ?", image)).isZero();
        assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'image.refused' AND target_id = ?", image)).isOne();
        // The dead letter is written before its audit entry: wait for that too.
        await().atMost(WITHIN).until(() -> count("SELECT count(*) FROM audit_log WHERE action = 'event.refused' AND details->>'key' = ?",
                a.hostId()) == 1);
        assertThat(jdbc.sql("SELECT consumer || ' ' || original_topic || ' ' || event_type || ' ' || attempts FROM dead_letters WHERE message_key = ?")
                .param(a.hostId()).query(String.class).single())
                .isEqualTo("cryostash-catalog " + Topics.CHECKPOINT_COMPLETED + " " + CheckpointCompleted.TYPE + " 1");
    }

    @Test
    void unsignedAndWronglySignedMessagesAreRefused() throws Exception {
        TestAgent a = pf.enrol("unsigned");
        String image = PipelineFixtures.writeImage(a, 8, "delta", 4, null);
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, completed(a, image, "sim", null), null);
        awaitDeadLetter(a.hostId(), "unsigned message");
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, completed(a, image, "sim", null), HostKeys.ephemeral());
        awaitDeadLetter(a.hostId(), "does not verify with the key it enrolled");
        TestAgent b = pf.enrol("other");
        // Signed by b, keyed as a: a's key does not verify it.
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, completed(a, image, "sim", null), b.keys());
        await().atMost(WITHIN).until(() -> count("SELECT count(*) FROM dead_letters WHERE message_key = ?", a.hostId()) == 3);
        assertThat(count("SELECT count(*) FROM images WHERE id = ?", image)).isZero();
    }

    @Test
    void registrationOverRestVerifiesTheManifestToo() throws Exception {
        TestAgent a = pf.enrol("rest");
        String good = PipelineFixtures.writeImage(a, 9, "epsilon", 4, null);
        TestAgent impostor = new TestAgent(a.hostId(), java.nio.file.Files.createTempDirectory("impostor"), null, null);
        String forged = PipelineFixtures.writeImage(impostor, 9, "zeta", 4, null);
        mvc.perform(post("/api/images").header("Authorization", a.bearer()).contentType("application/json")
                        .content(fx.toJson(completed(a, forged, "sim", null))))
                .andExpect(status().isUnprocessableEntity())
                .andExpect(jsonPath("$.errors[0]").value(org.hamcrest.Matchers.containsString("not by the key its host enrolled")));
        mvc.perform(post("/api/images").header("Authorization", a.bearer()).contentType("application/json")
                        .content(fx.toJson(completed(a, good, "sim", null))))
                .andExpect(status().isCreated())
                .andExpect(jsonPath("$.id").value(good));
        mvc.perform(post("/api/images").header("Authorization", a.bearer()).contentType("application/json")
                        .content(fx.toJson(completed(a, good, "sim", null))))
                .andExpect(status().isOk());
        assertThat(count("SELECT count(*) FROM images WHERE id = ?", forged)).isZero();
    }

    String requestRestore(String image, String host) throws Exception {
        String body = mvc.perform(post("/api/restores").with(user("op").roles("OPERATOR")).with(csrf())
                        .contentType("application/json").content("{\"imageId\":\"%s\",\"hostId\":\"%s\"}".formatted(image, host)))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        return json.readTree(body).get("id").asString();
    }

    @Test
    void aRestoreRequestReachesTheTopicKeyedByTheTargetHostAndItsStatusMovesTheRequest() throws Exception {
        TestAgent source = pf.enrol("src");
        TestAgent target = pf.enrol("dst");
        String image = fx.image(source.asAgent(), "sim");
        try (var topic = consumer(Topics.RESTORE_REQUESTED)) {
            String id = requestRestore(image, target.hostId());
            var r = await(topic, WITHIN, rec -> PipelineFixtures.text(rec.value()).contains(id));
            assertThat(r.key()).isEqualTo(target.hostId());
            assertThat(PipelineFixtures.text(r.headers().lastHeader(Topics.HEADER_TYPE).value())).isEqualTo(RestoreRequested.TYPE);
            RestoreRequested e = codec.decode(r.value(), RestoreRequested.class);
            assertThat(e.imageId()).isEqualTo(image);
            assertThat(e.targetHostId()).isEqualTo(target.hostId());

            UUID rid = UUID.fromString(id);
            pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, target,
                    new RestoreStatus(1, rid, target.hostId(), "RUNNING", null, null, Instant.now()), target.keys());
            pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, target,
                    new RestoreStatus(1, rid, target.hostId(), "COMPLETED", 31337, null, Instant.now()), target.keys());
            // Again, and a late RUNNING: applied once, ignored after.
            pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, target,
                    new RestoreStatus(1, rid, target.hostId(), "COMPLETED", 31337, null, Instant.now()), target.keys());
            pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, target,
                    new RestoreStatus(1, rid, target.hostId(), "RUNNING", null, null, Instant.now()), target.keys());
            await().atMost(WITHIN).until(() -> "COMPLETED".equals(jdbc.sql("SELECT state FROM restore_requests WHERE id = ?::uuid")
                    .param(id).query(String.class).single()));
            mvc.perform(get("/api/restores/{id}", id).with(user("v").roles("VIEWER")))
                    .andExpect(jsonPath("$.restoredPid").value(31337));
            assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'restore.completed' AND target_id = ?", id)).isOne();

            // The source host may not speak for the target's request.
            String other = requestRestore(image, target.hostId());
            pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, source,
                    new RestoreStatus(1, UUID.fromString(other), source.hostId(), "FAILED", null, "nope", Instant.now()), source.keys());
            awaitDeadLetter(source.hostId(), "is for host " + target.hostId());
            pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, target,
                    new RestoreStatus(1, UUID.fromString(other), target.hostId(), "FAILED", null, "no such binary", Instant.now()), target.keys());
            await().atMost(WITHIN).until(() -> "FAILED".equals(jdbc.sql("SELECT state FROM restore_requests WHERE id = ?::uuid")
                    .param(other).query(String.class).single()));
        }
    }

    long job(TestAgent a, String name, int pid) throws Exception {
        String body = mvc.perform(post("/api/jobs").with(user("op").roles("OPERATOR")).with(csrf()).contentType("application/json")
                        .content("{\"hostId\":\"%s\",\"name\":\"%s\",\"pid\":%d,\"processStart\":123456}".formatted(a.hostId(), name, pid)))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        return json.readTree(body).get("id").asLong();
    }

    @Test
    void aScheduleAsksForSnapshotsAndAGoneProcessStopsIt() throws Exception {
        TestAgent a = pf.enrol("sched");
        long jobId = job(a, "weather", 5151);
        // A first image of the job: the schedule's requests are incremental to it.
        String first = PipelineFixtures.writeImage(a, 5151, "weather", 4, null);
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, completed(a, first, "weather", null), a.keys());
        awaitRegistered(first);
        try (var topic = consumer(Topics.SNAPSHOT_REQUESTED)) {
            String body = mvc.perform(post("/api/schedules").with(user("op").roles("OPERATOR")).with(csrf())
                            .contentType("application/json").content("{\"jobId\":%d,\"cron\":\"* * * * * *\"}".formatted(jobId)))
                    .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
            long scheduleId = json.readTree(body).get("id").asLong();
            var r = await(topic, WITHIN, rec -> rec.key().equals(a.hostId()));
            SnapshotRequested e = codec.decode(r.value(), SnapshotRequested.class);
            assertThat(e.jobId()).isEqualTo(jobId);
            assertThat(e.pid()).isEqualTo(5151);
            assertThat(e.processStart()).isEqualTo(123456L);
            assertThat(e.parentImageId()).isEqualTo(first);
            assertThat(e.scheduleId()).isEqualTo(scheduleId);
            assertThat(e.requestedBy()).isEqualTo("schedule:" + scheduleId);
            // Unanswered, the next due runs ask nothing more.
            await().atMost(WITHIN).until(() -> jdbc.sql("SELECT last_error FROM schedules WHERE id = ?")
                    .param(scheduleId).query(String.class).optional().orElse("").contains("not answered yet"));

            pf.send(Topics.CHECKPOINT_FAILED, CheckpointFailed.TYPE, a,
                    new CheckpointFailed(1, e.requestId(), a.hostId(), jobId, "process 5151 is gone", true, Instant.now()), a.keys());
            await().atMost(WITHIN).until(() -> "GONE".equals(jdbc.sql("SELECT state FROM jobs WHERE id = ?")
                    .param(jobId).query(String.class).single()));
            assertThat(jdbc.sql("SELECT enabled FROM schedules WHERE id = ?").param(scheduleId).query(Boolean.class).single()).isFalse();
            assertThat(jdbc.sql("SELECT state || ' ' || error FROM snapshot_requests WHERE id = ?").param(e.requestId())
                    .query(String.class).single()).isEqualTo("FAILED process 5151 is gone");
            assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'job.gone' AND target_id = ?", String.valueOf(jobId))).isOne();
            mvc.perform(post("/api/jobs/{id}/snapshots", jobId).with(user("op").roles("OPERATOR")).with(csrf()))
                    .andExpect(status().isConflict());
        }
    }

    @Test
    void snapshotNowAsksTheJobsHostAndTheAnswerCompletesTheRequest() throws Exception {
        TestAgent a = pf.enrol("now");
        long jobId = job(a, "render", 6161);
        try (var topic = consumer(Topics.SNAPSHOT_REQUESTED)) {
            String body = mvc.perform(post("/api/jobs/{id}/snapshots", jobId).with(user("op").roles("OPERATOR")).with(csrf()))
                    .andExpect(status().isAccepted()).andReturn().getResponse().getContentAsString();
            String requestId = json.readTree(body).get("requestId").asString();
            var r = await(topic, WITHIN, rec -> PipelineFixtures.text(rec.value()).contains(requestId));
            assertThat(r.key()).isEqualTo(a.hostId());
            SnapshotRequested e = codec.decode(r.value(), SnapshotRequested.class);
            assertThat(e.parentImageId()).isNull();
            assertThat(e.requestedBy()).isEqualTo("op");
            String image = PipelineFixtures.writeImage(a, 6161, "render", 4, null);
            pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, a, completed(a, image, "render", e.requestId()), a.keys());
            await().atMost(WITHIN).until(() -> "COMPLETED".equals(jdbc.sql("SELECT state FROM snapshot_requests WHERE id = ?")
                    .param(e.requestId()).query(String.class).single()));
            assertThat(jdbc.sql("SELECT image_id FROM snapshot_requests WHERE id = ?").param(e.requestId()).query(String.class).single())
                    .isEqualTo(image);
        }
    }

    @Test
    void anUnreadableEventIsDeadLetteredWithItsReason() throws Exception {
        TestAgent a = pf.enrol("garbage");
        // Signed, but a restore.status without a state.
        pf.send(Topics.RESTORE_STATUS, RestoreStatus.TYPE, a,
                new RestoreStatus(1, UUID.randomUUID(), a.hostId(), "SLEEPING", null, null, Instant.now()), a.keys());
        awaitDeadLetter(a.hostId(), "state: must be one of");
        String listed = mvc.perform(get("/api/dead-letters").with(user("op").roles("OPERATOR")))
                .andExpect(status().isOk()).andReturn().getResponse().getContentAsString();
        JsonNode mine = null;
        for (JsonNode n : json.readTree(listed).get("items")) if (a.hostId().equals(n.get("key").asString())) mine = n;
        assertThat(mine).as(listed).isNotNull();
        assertThat(mine.get("originalTopic").asString()).isEqualTo(Topics.RESTORE_STATUS);
        assertThat(mine.get("eventType").asString()).isEqualTo(RestoreStatus.TYPE);
        assertThat(mine.get("consumer").asString()).isEqualTo("cryostash-catalog");
        mvc.perform(get("/api/dead-letters").with(user("v").roles("VIEWER"))).andExpect(status().isForbidden());
    }
}
