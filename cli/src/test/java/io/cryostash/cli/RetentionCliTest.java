// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.cli.CliRoundTripTest.Run;
import io.cryostash.cli.up.AllInOne;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.daemon.catalog.CatalogClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static io.cryostash.cli.CliRoundTripTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention, pins, garbage collection, quotas and the audit chain through the command line, against
 * the whole stack as {@code cryostash up} runs it (catalog, Kafka, the S3 server, this host's agent):
 * a real process is snapshotted through the catalog, forgotten down to one image (a pinned one
 * stays), collected, then refused a snapshot by a used-up quota — before anything is frozen, the
 * process counting on — and allowed again once the quota is raised; the audit chain verifies and
 * exports with every step in it.
 */
@ExtendWith(Leftovers.class)
class RetentionCliTest {
    private static final Duration WAIT = Duration.ofMinutes(3);

    @TempDir
    static Path dir;
    static AllInOne.Running stack;
    static CatalogClient api;
    static String host;
    static String config;

    @BeforeAll
    static void up() throws Exception {
        host = "ret-" + ProcessHandle.current().pid();
        stack = new AllInOne(0, dir.resolve("stack"), null, host, "127.0.0.1", null, dir.resolve("home"),
                dir.resolve("home/client.properties"), true).start();
        String token = stack.clientConfig().get(ClientConfig.CATALOG_TOKEN);
        api = new CatalogClient(stack.catalogUrl(), () -> token, Duration.ofSeconds(30));
        config = dir.resolve("home/client.properties").toString();
        Poll.until(WAIT, "host " + host + " to enrol", () -> {
            try {
                return api.get("/api/hosts/" + host).path("arch").isTextual();
            } catch (RuntimeException notYet) {
                return false;
            }
        });
    }

    @AfterAll
    static void down() {
        if (stack != null) stack.close();
    }

    static List<JsonNode> images(String job, String state) {
        List<JsonNode> out = new ArrayList<>();
        api.get("/api/images?job=" + CatalogClient.query(job) + "&sort=capturedAt&dir=asc&size=100").path("items").forEach(i -> {
            if (state.equals(i.path("state").asText())) out.add(i);
        });
        return out;
    }

    static JsonNode lastSnapshot(long job) {
        JsonNode all = api.get("/api/jobs/" + job + "/snapshots");
        JsonNode list = all.isArray() ? all : all.path("items");
        JsonNode newest = null;
        for (JsonNode s : list) {
            if (newest == null || s.path("requestedAt").asText().compareTo(newest.path("requestedAt").asText()) > 0) newest = s;
        }
        return newest;
    }

    static void snapshot(long job, String name, int expectImages) {
        api.post("/api/jobs/" + job + "/snapshots", Map.of("kill", false));
        Poll.until(WAIT, "image " + expectImages + " of " + name, () -> images(name, "COMPLETE").size() >= expectImages);
    }

    static Run ok(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--config");
        all.add(config);
        Run r = cli(all.toArray(String[]::new));
        assertThat(r.exit()).as(String.join(" ", args) + ": " + r.out() + r.err()).isZero();
        return r;
    }

    @Test
    void forgetPinGcQuotaAndAuditThroughTheCommandLine() {
        FixtureProcess counter = FixtureProcess.of(CFixtures.shared("counter")).args("8").start();
        counter.awaitNumberAbove("counter", 0);
        String name = "counter-" + ProcessHandle.current().pid();
        long job = api.post("/api/jobs", Map.of("hostId", host, "name", name, "pid", counter.pid(),
                "processStart", ProcStat.read(counter.pid()).startTime())).path("id").asLong();
        for (int i = 1; i <= 3; i++) snapshot(job, name, i);
        List<JsonNode> three = images(name, "COMPLETE");
        String oldest = three.get(0).path("id").asText();
        String middle = three.get(1).path("id").asText();
        String newest = three.get(2).path("id").asText();

        assertThat(ok("retention", "set", name, "--keep-last", "1").out()).contains("keeps last 1");
        assertThat(ok("retention", "show", name + "@" + host).out()).contains("its own policy").contains("last 1");
        Run dry = ok("forget", name, "--dry-run");
        assertThat(dry.out()).contains("would expire  " + oldest).contains("would expire  " + middle).contains("keep    " + newest)
                .contains("would expire 2 images").contains("of stored chunks no remaining image names")
                .contains("would be freed by gc");
        assertThat(images(name, "COMPLETE")).hasSize(3);

        assertThat(ok("pin", oldest, "--reason", "case 7").out()).contains("pinned " + oldest);
        Run forgot = ok("forget", name);
        assertThat(forgot.out()).contains("expired  " + middle).contains("expired 1 images");
        assertThat(images(name, "COMPLETE")).extracting(i -> i.path("id").asText()).containsExactly(oldest, newest);

        Run gcDry = ok("gc", "--dry-run");
        assertThat(gcDry.out()).startsWith("dry run: catalog gc run").contains("would be freed");
        JsonNode dryRun = api.get("/api/gc/runs?limit=1").get(0);
        assertThat(dryRun.path("dryRun").asBoolean()).isTrue();
        assertThat(dryRun.path("manifestsDeleted").asInt()).isZero();
        Run gc = ok("gc");
        assertThat(gc.out()).contains("catalog gc run");
        JsonNode run = api.get("/api/gc/runs?limit=1").get(0);
        assertThat(run.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(run.path("manifestsDeleted").asInt()).isGreaterThanOrEqualTo(1);
        // the dry run said what the run freed (it counts the manifests the run deletes first)
        assertThat(run.path("bytesFreed").asLong()).isEqualTo(dryRun.path("bytesFreed").asLong());

        ok("unpin", oldest);
        assertThat(ok("forget", name).out()).contains("expired  " + oldest);

        // a quota below what the job stores now: the next snapshot is refused before anything is frozen
        assertThat(ok("quota", "set", "--job", name, "4KiB").out()).contains("4.0 KiB");
        assertThat(ok("quota", "show").out()).contains("job " + name + "@" + host);
        long before = counter.awaitNumberAbove("counter", 0);
        api.post("/api/jobs/" + job + "/snapshots", Map.of("kill", false));
        Poll.until(WAIT, "the snapshot request to fail on the quota", () -> {
            JsonNode s = lastSnapshot(job);
            return s != null && s.toString().contains("FAILED");
        });
        assertThat(lastSnapshot(job).toString()).contains("quota");
        assertThat(counter.awaitNumberAbove("counter", before)).as("the process counts on").isGreaterThan(before);
        assertThat(images(name, "COMPLETE")).hasSize(1);

        ok("quota", "set", "--job", name, "10GiB");
        snapshot(job, name, 2);

        Run verify = ok("audit", "verify");
        assertThat(verify.out()).contains("ok: audit chain intact");
        Run export = ok("audit", "export", "--format", "json", "--action", "image.");
        assertThat(export.out()).contains("image.expired").contains("image.pinned").contains("image.unpinned")
                .contains("\"chainSeq\"");
        assertThat(ok("audit", "export", "--action", "quota.").out()).contains("quota.set");
        counter.kill();
    }
}
