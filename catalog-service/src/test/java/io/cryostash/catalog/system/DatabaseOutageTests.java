// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.PipelineFixtures;
import io.cryostash.catalog.PipelineFixtures.TestAgent;
import io.cryostash.catalog.PipelineTest;
import io.cryostash.catalog.WebSession;
import io.cryostash.catalog.user.Role;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.Topics;
import io.cryostash.store.image.ImageStore;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fault suite (issue 12): the catalog's PostgreSQL stopped (immediate shutdown, as a crash or an
 * operator would) while agents' checkpoint.completed reports are being registered, and started
 * again on the same data and port. Meanwhile every request, from a signed-in person or an agent,
 * is answered 503 with Retry-After (never 500, never a 401 that would make an agent drop its
 * token); the reports wait on the broker (their offsets are not committed) and are registered once
 * the database is back: each image once, none lost, none dead-lettered.
 */
@PipelineTest
class DatabaseOutageTests {

    @Autowired PipelineFixtures pf;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @Autowired JsonMapper json;
    @Autowired EmbeddedDatabase db;
    @Autowired io.cryostash.catalog.security.LoginThrottle throttle;
    @LocalServerPort int port;

    static CheckpointCompleted completed(TestAgent a, String imageId) {
        return new CheckpointCompleted(CheckpointCompleted.VERSION, UUID.randomUUID(), a.hostId(), "outage-job", Map.of(),
                imageId, "manifests/" + imageId, null, Instant.now(), 1L, 1L, 7L);
    }

    long count(String sql, Object... args) {
        return jdbc.sql(sql).params(args).query(Long.class).single();
    }

    /** pg_ctl of the running server, as the database's own account (what an operator would run). */
    Commands.Result pgCtl(String... args) throws Exception {
        Path pgData = db.dataDirectory();
        // postmaster.opts: the server's command line, written by pg_ctl at start; "restart" starts it again from it
        String opts = Files.readString(pgData.resolve("postmaster.opts")).strip();
        String postgres = opts.substring(0, opts.indexOf(' '));
        List<String> cmd = new ArrayList<>(List.of(Path.of(postgres).resolveSibling("pg_ctl").toString(), "-D", pgData.toString(), "-s"));
        cmd.addAll(List.of(args));
        return Commands.run(db.account().command(cmd), null, pgData.getParent());
    }

    /**
     * A login while the database is down is no failed login: 503 with Retry-After (for a browser and
     * for a program), nothing counted towards the throttle, so the right password works at once when
     * the database is back.
     */
    @Test
    void aLoginWhileTheDatabaseIsDownIsAnswered503AndCountsAsNoFailedAttempt() throws Exception {
        String viewer = fx.user(Role.VIEWER);
        Commands.Result stop = pgCtl("stop", "-m", "immediate", "-w", "-t", "60");
        assertThat(stop.exitCode()).as("pg_ctl stop: %s", stop.output()).isZero();
        try {
            for (int i = 0; i < 4; i++) { // 8 failures if counted: the name locked for 4 s (each try waits 10 s for a connection)
                for (String accept : List.of("application/json", "text/html")) {
                    HttpResponse<String> r = WebSession.attemptLogin(port, viewer, viewer + "-password", accept);
                    assertThat(r.statusCode()).as("login (%s) while the database is down: %s %s", accept,
                            r.headers().firstValue("Location").orElse(""), r.body()).isEqualTo(503);
                    assertThat(r.headers().firstValue("Retry-After")).isPresent();
                    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
                    assertThat(r.body()).contains("database cannot be reached");
                }
            }
            assertThat(throttle.lockFor(viewer, "127.0.0.1")).as("a lock from logins the database could not check").isEmpty();
        } finally {
            Commands.Result start = pgCtl("restart", "-w", "-t", "120", "-l", db.dataDirectory().resolve("postgres.log").toString());
            assertThat(start.exitCode()).as("pg_ctl restart: %s", start.output()).isZero();
        }
        // The pool takes a moment to reconnect (as in the test below).
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> count("SELECT count(*) FROM users WHERE username = ?", viewer) == 1);
        WebSession back = WebSession.login(port, viewer, viewer + "-password");
        assertThat(back.get("/api/images?size=1").statusCode()).isEqualTo(200);
        assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'user.login-failed' AND target_id = ?", viewer)).isZero();
    }

    @Test
    void registrationsWaitForTheDatabaseAndRequestsAreAnswered503Meanwhile() throws Exception {
        TestAgent agent = pf.enrol("pg-outage");
        String viewer = fx.user(Role.VIEWER);
        WebSession person = WebSession.login(port, viewer, viewer + "-password");
        assertThat(person.get("/api/images?size=5").statusCode()).isEqualTo(200);
        List<String> images = new ArrayList<>();
        try (ImageStore store = PipelineFixtures.store(agent)) {
            String parent = null;
            for (int i = 0; i < 4; i++) {
                parent = PipelineFixtures.writeImage(store, agent, 5150, "outage-" + (i % 2), 48, parent);
                images.add(parent);
            }
        }
        String heartbeat = json.writeValueAsString(PipelineFixtures.report(agent.hostId()));

        // The first report goes out and the database stops while it is being taken (before, during or
        // after its transaction: any of them must end with the image registered once).
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, agent, completed(agent, images.get(0)), agent.keys());
        Commands.Result stop = pgCtl("stop", "-m", "immediate", "-w", "-t", "60");
        assertThat(stop.exitCode()).as("pg_ctl stop: %s", stop.output()).isZero();
        try {
            for (String image : images.subList(1, images.size())) {
                pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, agent, completed(agent, image), agent.keys());
            }
            for (String path : List.of("/api/images?size=5", "/", "/images", "/stats.json")) {
                HttpResponse<String> r = person.get(path);
                assertThat(r.statusCode()).as("GET %s while the database is down", path).isEqualTo(503);
                assertThat(r.headers().firstValue("Retry-After")).as("Retry-After of %s", path).isPresent();
                assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
                assertThat(r.body()).contains("database cannot be reached");
            }
            HttpResponse<String> beat = WebSession.put(port, "/api/hosts/" + agent.hostId() + "/heartbeat", agent.bearer(), heartbeat);
            assertThat(beat.statusCode()).as("the agent's heartbeat while the database is down").isEqualTo(503);
        } finally {
            Commands.Result start = pgCtl("restart", "-w", "-t", "120", "-l", db.dataDirectory().resolve("postgres.log").toString());
            assertThat(start.exitCode()).as("pg_ctl restart: %s", start.output()).isZero();
        }

        // Back: every report registered exactly once, nothing parked, the person's session and the agent's token still good.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() ->
                count("SELECT count(*) FROM images WHERE host_id = ? AND state = 'COMPLETE'", agent.hostId()) == images.size());
        for (String image : images) {
            assertThat(count("SELECT count(*) FROM images WHERE id = ?", image)).isOne();
            assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'image.registered' AND target_id = ?", image))
                    .as("registered once: %s", image).isOne();
            assertThat(count("SELECT cardinality(keys) FROM image_chunk_lists WHERE image_id = ?", image)).isPositive();
        }
        assertThat(count("SELECT count(*) FROM dead_letters WHERE message_key = ?", agent.hostId())).isZero();
        assertThat(person.get("/api/images?host=" + agent.hostId()).statusCode()).isEqualTo(200);
        assertThat(WebSession.put(port, "/api/hosts/" + agent.hostId() + "/heartbeat", agent.bearer(), heartbeat).statusCode())
                .isEqualTo(200);
        // A report delivered again after the outage changes nothing.
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, agent, completed(agent, images.get(0)), agent.keys());
        String last = PipelineFixtures.writeImage(agent, 5150, "outage-after", 8, null);
        pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, agent, completed(agent, last), agent.keys());
        await().atMost(Duration.ofSeconds(60)).until(() -> count("SELECT count(*) FROM images WHERE id = ?", last) == 1);
        assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'image.registered' AND target_id = ?", images.get(0))).isOne();
    }
}
