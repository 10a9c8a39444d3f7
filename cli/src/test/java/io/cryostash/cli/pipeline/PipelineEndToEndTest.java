// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.cli.up.AllInOne;
import io.cryostash.daemon.AgentDaemon;
import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.daemon.catalog.CatalogClient;
import io.cryostash.daemon.kafka.KafkaSettings;
import io.cryostash.daemon.state.LocalAgents;
import io.cryostash.daemon.testing.EventTap;
import io.cryostash.schema.event.RestoreRequested;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.event.Topics;
import io.cryostash.store.backend.S3Config;

/**
 * The whole system in this JVM, as {@code cryostash up} runs it: a real Kafka broker (KRaft,
 * SASL/SCRAM), the S3 server, the catalog on its embedded PostgreSQL and the agent of host A; plus
 * the agent of host B. Real processes are snapshotted on a schedule, killed, and restored on host B
 * through the catalog's REST API, also across a broker outage and an agent that starts late.
 */
@ExtendWith(Leftovers.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineEndToEndTest {
    private static final Duration WAIT = Duration.ofMinutes(3);

    @TempDir
    static Path dir;
    static AllInOne all;
    static AllInOne.Running stack;
    static CatalogClient api;
    static String hostA;
    static String hostB;
    static AgentDaemon agentB;
    static EventTap tap;

    @BeforeAll
    static void up() throws Exception {
        long me = ProcessHandle.current().pid();
        // The database account passes through (as through /var/lib): its data stays in this test's directory.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        hostA = "e2e-a-" + me;
        hostB = "e2e-b-" + me;
        all = new AllInOne(0, dir.resolve("stack"), null, hostA, "127.0.0.1", null, dir.resolve("home"),
                dir.resolve("home/client.properties"), true);
        stack = all.start();
        ClientConfig cc = stack.clientConfig();
        String token = cc.get(ClientConfig.CATALOG_TOKEN);
        api = new CatalogClient(stack.catalogUrl(), () -> token, Duration.ofSeconds(30));
        agentB = startB();
        tap = new EventTap(new KafkaSettings(cc.get(ClientConfig.KAFKA_BOOTSTRAP), "SASL_PLAINTEXT", "SCRAM-SHA-256",
                cc.get(ClientConfig.KAFKA_USERNAME), cc.get(ClientConfig.KAFKA_PASSWORD)),
                List.of(Topics.RESTORE_STATUS, Topics.DEAD_LETTER));
        awaitHost(hostA);
        awaitHost(hostB);
    }

    @AfterAll
    static void down() {
        if (tap != null) tap.close();
        if (agentB != null) agentB.close();
        if (stack != null) stack.close();
    }

    /**
     * Host B as another machine would run it: its own $CRYOSTASH_HOME, so no trusted-keys directory and
     * no other agent's key beside it; it trusts host A's images because the catalog vouches for A's key.
     */
    static AgentDaemon startB() {
        Path config = dir.resolve("home/client.properties");
        AgentSettings b = AgentSettings.resolve(new AgentSettings.Flags(hostB, null, null, null, null, null, null, null,
                        S3Config.Overrides.NONE), Map.of(), ClientConfig.load(config), config)
                .withHome(dir.resolve("home-b"))
                .withTiming(Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofSeconds(2), 3);
        return AgentDaemon.start(b);
    }

    static void awaitHost(String host) {
        Poll.until(WAIT, "host " + host + " to enrol and heartbeat", () -> {
            try {
                return api.get("/api/hosts/" + host).path("arch").isTextual();
            } catch (RuntimeException notYet) {
                return false;
            }
        });
    }

    static FixtureProcess counter() {
        return FixtureProcess.of(CFixtures.shared("counter")).args("8").start();
    }

    static long job(FixtureProcess f, String name) {
        return api.post("/api/jobs", Map.of("hostId", hostA, "name", name, "pid", f.pid(),
                "processStart", ProcStat.read(f.pid()).startTime())).path("id").asLong();
    }

    static List<JsonNode> images(String job) {
        List<JsonNode> out = new ArrayList<>();
        api.get("/api/images?job=" + CatalogClient.query(job) + "&sort=capturedAt&dir=asc&size=100").path("items").forEach(i -> {
            if ("COMPLETE".equals(i.path("state").asText())) out.add(i);
        });
        return out;
    }

    /** Captures the fixture through a snapshot request with kill; returns the image id once registered. */
    static String snapshotAndKill(FixtureProcess f, String name) {
        long job = job(f, name);
        api.post("/api/jobs/" + job + "/snapshots", Map.of("kill", true));
        Poll.until(WAIT, "an image of " + name, () -> !images(name).isEmpty());
        f.awaitGone();
        return images(name).get(0).path("id").asText();
    }

    static JsonNode awaitRestore(String id) {
        Poll.until(WAIT, () -> "restore " + id + " to finish: " + api.get("/api/restores/" + id), () -> {
            String s = api.get("/api/restores/" + id).path("state").asText();
            return s.equals("COMPLETED") || s.equals("FAILED") || s.equals("CANCELLED");
        });
        return api.get("/api/restores/" + id);
    }

    static String requestRestore(String image, String host) {
        return api.post("/api/restores", Map.of("imageId", image, "hostId", host)).path("id").asText();
    }

    @Test
    @Order(1)
    void aScheduleSnapshotsARunningProcessIncrementally() {
        FixtureProcess f = counter();
        String name = "scheduled-" + f.pid();
        long job = job(f, name);
        long schedule = api.post("/api/schedules", Map.of("jobId", job, "intervalSeconds", 10)).path("id").asLong();
        try {
            Poll.until(WAIT, () -> "two scheduled images of " + name + ", have " + images(name).size(), () -> images(name).size() >= 2);
        } finally {
            api.send("DELETE", "/api/schedules/" + schedule, null, stack.clientConfig().get(ClientConfig.CATALOG_TOKEN));
        }
        List<JsonNode> im = images(name);
        assertThat(im.get(0).path("hostId").asText()).isEqualTo(hostA);
        assertThat(im.get(1).path("parentId").asText()).isEqualTo(im.get(0).path("id").asText());
        assertThat(im.get(1).path("storedBytes").asLong()).isLessThan(im.get(0).path("storedBytes").asLong());
        assertThat(f.runningFreely()).isTrue();
        f.awaitNumberAbove("counter", f.number("counter"));
    }

    @Test
    @Order(2)
    void aRestoreAskedThroughTheRestApiRunsOnTheOtherHostOnceAndCarriesOn() {
        FixtureProcess f = counter();
        String image = snapshotAndKill(f, "moved-" + f.pid());
        long atCapture = f.number("counter");
        String id = requestRestore(image, hostB);
        JsonNode done = awaitRestore(id);
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("COMPLETED");
        FixtureProcess restored = f.restoredAs(done.path("restoredPid").asInt());
        restored.awaitNumberAbove("counter", atCapture);

        // the same event delivered again: the agent's ledger keeps it from restoring twice
        tap.send(Topics.RESTORE_REQUESTED, hostB, RestoreRequested.TYPE, new RestoreRequested(RestoreRequested.VERSION,
                UUID.fromString(id), image, "manifests/" + image, hostB, "test", Instant.now()));
        // a request nobody made, behind it: once it is parked, the duplicate before it was handled
        UUID marker = UUID.randomUUID();
        tap.send(Topics.RESTORE_REQUESTED, hostB, RestoreRequested.TYPE, new RestoreRequested(RestoreRequested.VERSION,
                marker, image, "manifests/" + image, hostB, "forger", Instant.now()));
        EventTap.Message parked = tap.await(Topics.DEAD_LETTER, m -> m.text().contains(marker.toString()), WAIT,
                "the forged request on the dead-letter topic");
        assertThat(parked.headers().get(Topics.HEADER_REASON)).contains("does not know restore request");
        List<String> states = tap.on(Topics.RESTORE_STATUS, m -> m.text().contains(id)).stream()
                .map(m -> m.as(RestoreStatus.class).state()).toList();
        assertThat(states).containsExactly("RUNNING", "COMPLETED");
        assertThat(api.get("/api/restores/" + id).path("restoredPid").asInt()).isEqualTo(restored.pid());
        assertThat(restored.check()).startsWith("PASS");
        // B had no key of A's on its disk: the catalog vouched for the signer.
        assertThat(dir.resolve("home-b/trusted-keys")).doesNotExist();
        var keysOnB = LocalAgents.publicKeys(dir.resolve("home-b"));
        assertThat(keysOnB).hasSize(1);
        assertThat(keysOnB.get(0).getEncoded()).isNotEqualTo(LocalAgents.publicKeys(dir.resolve("home")).get(0).getEncoded());

        // `cryostash verify` on this machine checks the stack's store (found by the soak: it checked an
        // empty local store, and given the S3 store it called every agent-signed image untrusted)
        String[] store = verify();
        assertThat(store[1]).as(store[2]).isEqualTo("0");
        assertThat(store[0]).contains("ok: store: ").doesNotContain("ok: store: 0 images");
        String[] one = verify(image);
        assertThat(one[1]).as(one[0] + one[2]).isEqualTo("0");
        assertThat(one[0]).contains("ok: image " + image);
    }

    /** The CLI's verify as a user on this machine runs it (its home is the stack's): {stdout, exit, stderr}. */
    static String[] verify(String... image) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.cryostash.cli.Cryostash", "verify"));
        cmd.addAll(List.of(image));
        try {
            Path out = Files.createTempFile(dir, "verify", ".out");
            Path err = Files.createTempFile(dir, "verify", ".err");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("CRYOSTASH_HOME", dir.resolve("home").toString());
            pb.environment().remove("CRYOSTASH_CATALOG");
            pb.environment().remove("CRYOSTASH_STORE");
            Process p = pb.start();
            if (!p.waitFor(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("verify did not finish");
            }
            return new String[] {Files.readString(out), Integer.toString(p.exitValue()), Files.readString(err)};
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    @Order(3)
    void aRestoreRequestedWhileTheBrokerIsDownHappensOnceItIsBack() {
        FixtureProcess f = counter();
        String image = snapshotAndKill(f, "outage-" + f.pid());
        long atCapture = f.number("counter");
        stack.stopBroker();
        String id;
        try {
            id = requestRestore(image, hostB);
            Poll.sleep(3000);
            assertThat(api.get("/api/restores/" + id).path("state").asText()).isEqualTo("REQUESTED");
        } finally {
            stack.startBroker();
        }
        JsonNode done = awaitRestore(id);
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("COMPLETED");
        f.restoredAs(done.path("restoredPid").asInt()).awaitNumberAbove("counter", atCapture);
    }

    @Test
    @Order(4)
    void aRestoreRequestedBeforeTheTargetAgentRunsHappensWhenItStarts() {
        FixtureProcess f = counter();
        String image = snapshotAndKill(f, "late-" + f.pid());
        long atCapture = f.number("counter");
        agentB.close();
        agentB = null;
        String id = requestRestore(image, hostB);
        Poll.sleep(3000);
        assertThat(api.get("/api/restores/" + id).path("state").asText()).isEqualTo("REQUESTED");
        agentB = startB();
        JsonNode done = awaitRestore(id);
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("COMPLETED");
        f.restoredAs(done.path("restoredPid").asInt()).awaitNumberAbove("counter", atCapture);
    }

    @Test
    @Order(5)
    void aSecondUpOnTheSameDataDirectoryReusesEverything() throws Exception {
        ClientConfig before = stack.clientConfig();
        int imagesBefore = api.get("/api/images?size=1").path("total").asInt();
        agentB.close();
        agentB = null;
        tap.close();
        tap = null;
        stack.close();
        stack = all.start();
        ClientConfig after = stack.clientConfig();
        for (String key : List.of(ClientConfig.CATALOG_TOKEN, ClientConfig.ENROL_TOKEN, ClientConfig.KAFKA_BOOTSTRAP,
                ClientConfig.KAFKA_PASSWORD, ClientConfig.S3_ENDPOINT, ClientConfig.S3_ACCESS_KEY, ClientConfig.S3_SECRET_KEY,
                ClientConfig.STORE, ClientConfig.HOST_ID)) {
            assertThat(after.get(key)).as(key).isEqualTo(before.get(key));
        }
        assertThat(stack.credentials().adminPassword()).isNull(); // the administrator exists: no new password
        String token = after.get(ClientConfig.CATALOG_TOKEN);
        CatalogClient again = new CatalogClient(stack.catalogUrl(), () -> token, Duration.ofSeconds(30));
        assertThat(again.get("/api/images?size=1").path("total").asInt()).isEqualTo(imagesBefore);
        assertThat(Files.readString(dir.resolve("home/agents/" + hostA + "/agent-token")).trim()).isNotEmpty();
        api = again;
        Poll.until(WAIT, "host A's heartbeat with its old token", () -> {
            String last = again.get("/api/hosts/" + hostA).path("lastHeartbeat").asText();
            return !last.isEmpty() && Instant.parse(last).isAfter(Instant.now().minusSeconds(20));
        });
    }
}
