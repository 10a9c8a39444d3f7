// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.Poll;
import io.cryostash.cli.up.AllInOne;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.daemon.catalog.CatalogClient;

/**
 * Host B in a network namespace of its own: the stack listens on one end of a veth pair (a private
 * /24 that only this test uses, between the namespace it makes and this one), and the agent of host
 * B runs as a separate `cryostash agent` process inside the namespace, reaching the catalog, Kafka
 * and S3 over the veth only. A process captured on host A is restored there and carries on.
 */
@ExtendWith(Leftovers.class)
class NetworkNamespaceTest {
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final long ME = ProcessHandle.current().pid();
    private static final String NS = "cs-e2e-" + ME;
    private static final String VETH = "vcs" + (ME % 100000);
    private static final String HERE = "10.213.47.1";
    private static final String THERE = "10.213.47.2";

    @TempDir
    static Path dir;
    static AllInOne.Running stack;
    static Process agentB;

    static void ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
    }

    @BeforeAll
    static void network() throws Exception {
        try {
            ip("netns", "add", NS);
        } catch (IOException | IllegalStateException e) {
            assumeTrue(false, "no network namespaces here: " + e.getMessage());
        }
        ip("link", "add", VETH + "a", "type", "veth", "peer", "name", VETH + "b");
        ip("link", "set", VETH + "b", "netns", NS);
        ip("addr", "add", HERE + "/24", "dev", VETH + "a");
        ip("link", "set", VETH + "a", "up");
        ip("netns", "exec", NS, "ip", "addr", "add", THERE + "/24", "dev", VETH + "b");
        ip("netns", "exec", NS, "ip", "link", "set", VETH + "b", "up");
        ip("netns", "exec", NS, "ip", "link", "set", "lo", "up");
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (agentB != null) {
            agentB.destroy();
            agentB.waitFor();
        }
        if (stack != null) stack.close();
        try {
            ip("link", "del", VETH + "a"); // takes its peer in the namespace with it
        } catch (RuntimeException ignored) {
            // never created
        }
        try {
            ip("netns", "del", NS);
        } catch (RuntimeException ignored) {
            // never created
        }
    }

    @Test
    void aProcessCapturedOnHostARestoresOnHostBInItsOwnNetworkNamespace() throws Exception {
        String hostA = "ns-a-" + ME;
        String hostB = "ns-b-" + ME;
        Path home = dir.resolve("home");
        // The database account passes through (as through /var/lib): its data stays in this test's directory.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
        stack = new AllInOne(0, dir.resolve("stack"), null, hostA, HERE, HERE, home, home.resolve("client.properties"), true)
                .start();
        String catalogThere = stack.catalogUrl().replace("localhost", HERE);
        ClientConfig forB = stack.clientConfig().with(ClientConfig.CATALOG_URL, catalogThere).with(ClientConfig.HOST_ID, hostB);
        Path configB = dir.resolve("client-b.properties");
        forB.write(configB);
        String token = stack.clientConfig().get(ClientConfig.CATALOG_TOKEN);
        CatalogClient api = new CatalogClient(stack.catalogUrl(), () -> token, Duration.ofSeconds(30));

        ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", NS, ProcessHandle.current().info().command().orElse("java"),
                "-cp", appClassPath(), "io.cryostash.cli.Cryostash", "agent", "--config", configB.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent-b.log").toFile());
        // B's own home, as on another machine: no key of A's there; the catalog vouches for A's key
        pb.environment().put("CRYOSTASH_HOME", dir.resolve("home-b").toString());
        agentB = pb.start();
        Poll.until(WAIT, () -> "host " + hostB + " to enrol from its namespace; its log:\n" + log(), () -> {
            try {
                return api.get("/api/hosts/" + hostB).path("arch").isTextual();
            } catch (RuntimeException notYet) {
                return false;
            }
        });

        FixtureProcess f = FixtureProcess.of(CFixtures.shared("counter")).start();
        long job = api.post("/api/jobs", Map.of("hostId", hostA, "name", "netns-" + f.pid(), "pid", f.pid(),
                "processStart", ProcStat.read(f.pid()).startTime())).path("id").asLong();
        api.post("/api/jobs/" + job + "/snapshots", Map.of("kill", true));
        Poll.until(WAIT, "the image", () -> api.get("/api/images?job=netns-" + f.pid()).path("items").size() > 0);
        f.awaitGone();
        long atCapture = f.number("counter");
        String image = api.get("/api/images?job=netns-" + f.pid()).path("items").get(0).path("id").asText();

        String id = api.post("/api/restores", Map.of("imageId", image, "hostId", hostB)).path("id").asText();
        Poll.until(WAIT, () -> "restore " + id + ": " + api.get("/api/restores/" + id) + "; agent log:\n" + log(), () -> {
            String s = api.get("/api/restores/" + id).path("state").asText();
            return s.equals("COMPLETED") || s.equals("FAILED");
        });
        JsonNode done = api.get("/api/restores/" + id);
        assertThat(done.path("state").asText()).as(done.toString()).isEqualTo("COMPLETED");
        int pid = done.path("restoredPid").asInt();
        FixtureProcess restored = f.restoredAs(pid);
        assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")))
                .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
        restored.awaitNumberAbove("counter", atCapture);
        assertThat(restored.check()).startsWith("PASS");
    }

    private static String log() {
        try {
            return Files.readString(dir.resolve("agent-b.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** The test class path without logback, which the tests keep for S3ProxyFixture but the CLI does not ship. */
    static String appClassPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.contains("logback")).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }
}
