// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;

import io.cryostash.agent.proc.ProcStat;
import io.cryostash.cli.up.AllInOne;
import io.cryostash.daemon.AgentDaemon;
import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.daemon.catalog.CatalogClient;
import io.cryostash.daemon.catalog.CatalogException;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.image.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", description = {"The guided tour: runs up (or uses the one running), starts a sample job, snapshots it"
        + " on a schedule, kills it, restores it through a restore request on a second agent (another host id) and shows it"
        + " carry on. Exits 0 only if all of it happened."})
final class DemoCommand implements Callable<Integer> {
    private static final String JOB = String.join("\n",
            "import sys, time",
            "counter = 0",
            "data = {i: i * i for i in range(200000)}",
            "while True:",
            "    counter += 1",
            "    print(counter, sum(data[i] for i in range(0, 200000, 50000)), flush=True)",
            "    time.sleep(0.2)");
    private static final Duration WAIT = Duration.ofMinutes(3);

    @Option(names = "--stay", description = "keep the stack it started running afterwards (until Ctrl-C), to browse the catalog")
    boolean stay;

    @Option(names = "--interval", defaultValue = "10", description = "seconds between scheduled snapshots (default: ${DEFAULT-VALUE})")
    int interval;

    @Option(names = "--data-dir", paramLabel = "<dir>", description = "data directory of the stack it starts (default: $CRYOSTASH_HOME/stack)")
    Path dataDir;

    @Option(names = "--store", paramLabel = "<dir|s3://bucket/prefix>",
            description = "the short local tour instead, without catalog or Kafka: checkpoint, kill and restore through this store")
    String localStore;

    @Override
    public Integer call() throws Exception {
        if (localStore != null) {
            StoreOption store = new StoreOption();
            store.store = localStore;
            try (ImageStore images = store.open()) {
                return localTour(images);
            }
        }
        Path configFile = ClientConfig.defaultFile();
        ClientConfig config = ClientConfig.load(configFile);
        AllInOne.Running stack = null;
        if (reachable(config)) {
            step("using the Cryostash already running at " + config.get(ClientConfig.CATALOG_URL));
        } else {
            step("starting Cryostash (cryostash up: catalog, PostgreSQL, Kafka, S3 store, this host's agent)...");
            stack = UpCommand.start(0, dataDir, null, null, "127.0.0.1", null, false);
            config = stack.clientConfig();
            step("up: web catalog " + stack.catalogUrl() + ", Kafka " + stack.kafka() + ", S3 " + stack.s3Endpoint()
                    + ", database in " + stack.catalogDataDir());
        }
        try {
            return tour(config, configFile, stack);
        } finally {
            if (stack != null && !stay) stack.close();
        }
    }

    private int tour(ClientConfig config, Path configFile, AllInOne.Running stack) throws Exception {
        String url = config.get(ClientConfig.CATALOG_URL);
        String token = config.get(ClientConfig.CATALOG_TOKEN);
        CatalogClient api = new CatalogClient(url, () -> token, Duration.ofSeconds(30));
        String hostA = config.get(ClientConfig.HOST_ID);
        String hostB = hostA + "-b";
        AgentSettings settingsB = AgentSettings.resolve(new AgentSettings.Flags(hostB, null, null, null, null, null, null, null,
                S3Config.Overrides.NONE), System.getenv(), config, configFile);
        try (AgentDaemon agentB = AgentDaemon.start(settingsB)) {
            step("started a second agent in this process as host " + hostB + " (its own key " + agentB.publicKeyId() + ")");
            awaitHost(api, hostB);

            Path work = Files.createTempDirectory("cryostash-demo-");
            Path out = work.resolve("counter.log");
            Path script = work.resolve("job.py");
            Files.writeString(script, JOB);
            // appending: the restored copy's lines come after the original's, whatever their offsets
            int pid = startDetached("python3 " + script + " >> " + out + " 2>&1");
            String name = "demo-counter-" + pid;
            step("1. started a sample job on host " + hostA + ": python3 counting, pid " + pid + ", output " + out);
            JsonNode job = api.post("/api/jobs", Map.of("hostId", hostA, "name", name, "pid", pid,
                    "processStart", ProcStat.read(pid).startTime()));
            JsonNode schedule = api.post("/api/schedules", Map.of("jobId", job.path("id").asLong(), "intervalSeconds", interval));
            step("2. job " + name + " (id " + job.path("id").asLong() + ") snapshotted every " + interval + " s by the catalog's"
                    + " schedule through Kafka; waiting for two snapshots...");
            List<JsonNode> images = awaitImages(api, name, 2);
            api.send("DELETE", "/api/schedules/" + schedule.path("id").asLong(), null, token);
            JsonNode first = images.get(images.size() - 2);
            JsonNode last = images.get(images.size() - 1);
            step("   snapshot " + first.path("id").asText().substring(0, 12) + ": " + Sizes.human(first.path("logicalBytes").asLong())
                    + " of memory, " + Sizes.human(first.path("storedBytes").asLong()) + " stored");
            step("   snapshot " + last.path("id").asText().substring(0, 12) + ": incremental to "
                    + last.path("parentId").asText("-").substring(0, Math.min(12, last.path("parentId").asText("-").length()))
                    + ", " + Sizes.human(last.path("storedBytes").asLong()) + " new in the store");
            boolean incremental = first.path("id").asText().equals(last.path("parentId").asText());

            new ProcessBuilder("kill", "-9", Integer.toString(pid)).start().waitFor();
            awaitGone(pid);
            long killedAt = lastCount(out);
            step("3. killed the job at count " + killedAt + " (pid " + pid + " is gone)");

            CatalogRestore.Outcome o = CatalogRestore.request(api, last.path("id").asText(), hostB, WAIT);
            if (!"COMPLETED".equals(o.state())) {
                step("   the restore did not complete: " + o.state() + (o.error() == null ? "" : ": " + o.error()));
                return 1;
            }
            step("4. restored the last snapshot on host " + hostB + " through a restore request: pid " + o.pid());
            long a = awaitCountChange(out, killedAt);
            long b = awaitCountChange(out, a);
            boolean alive = Files.exists(Path.of("/proc/" + o.pid()));
            step("5. it carries on from its snapshot: " + a + " -> " + b + " (it was killed at " + killedAt + ")");
            new ProcessBuilder("kill", Integer.toString(o.pid())).start().waitFor();
            step("   (stopped the restored job)");
            step("");
            step("All of it is in the web catalog: " + url + "  (jobs, images, restores, audit)");
            if (stack != null && stack.credentials().adminPassword() != null) {
                step("   first login: " + stack.credentials().adminUsername() + " / " + stack.credentials().adminPassword());
            } else {
                step("   log in as " + (stack == null ? "admin" : stack.credentials().adminUsername())
                        + " with the password the first cryostash up printed");
            }
            if (stack != null && !stay) step("   (the demo stops its stack now; `cryostash up` brings it back with the same data)");
            boolean ok = incremental && b > a && alive;
            if (!incremental) step("the second snapshot was not incremental to the first");
            return ok ? 0 : 1;
        } finally {
            if (stack != null && stay) {
                step("staying up; stop with Ctrl-C");
                Thread.currentThread().join();
            }
        }
    }

    /** The round trip on a store alone: checkpoint with kill, restore here, the counter goes on. */
    private int localTour(ImageStore images) throws Exception {
        Path work = Files.createTempDirectory("cryostash-demo-");
        Path out = work.resolve("counter.log");
        Path script = work.resolve("job.py");
        Files.writeString(script, JOB);
        int pid = startDetached("python3 " + script + " >> " + out + " 2>&1");
        step("1. started a sample job (python3, a counter and a 200k-entry dict), pid " + pid + ", printing to " + out);
        Thread.sleep(1500);
        io.cryostash.capture.CaptureResult cap = new io.cryostash.capture.Capturer(images)
                .capture(pid, new io.cryostash.capture.CaptureOptions(true));
        long atCheckpoint = lastCount(out);
        step(String.format("2. checkpointed it into image %s (%s of memory, frozen %.1f ms) and killed it at %d",
                cap.image().id().substring(0, 12), Sizes.human(cap.memoryBytes()), cap.freezeNanos() / 1e6, atCheckpoint));
        awaitGone(pid);
        step("3. the job is gone (pid " + pid + " running: " + running(pid) + ")");
        io.cryostash.restore.RestoreResult r = new io.cryostash.restore.Restorer(images)
                .restore(cap.image().id(), io.cryostash.restore.RestoreOptions.defaults());
        step(String.format("4. restored it as pid %d in %.1f ms", r.pid(), r.nanos() / 1e6));
        long a = awaitCountChange(out, atCheckpoint);
        long b = awaitCountChange(out, a);
        step("5. it carries on: counter " + atCheckpoint + " -> " + a + " -> " + b);
        new ProcessBuilder("kill", Integer.toString(r.pid())).start().waitFor();
        step("   (stopped the restored job; its image stays in " + images.location() + ")");
        return b > a && a > atCheckpoint ? 0 : 1;
    }

    private static void step(String s) {
        System.out.println(s);
    }

    private static boolean reachable(ClientConfig config) {
        String url = config.get(ClientConfig.CATALOG_URL);
        String token = config.get(ClientConfig.CATALOG_TOKEN);
        if (url == null || token == null || config.get(ClientConfig.HOST_ID) == null) return false;
        try {
            new CatalogClient(url, () -> token, Duration.ofSeconds(3)).get("/api/hosts/" + config.get(ClientConfig.HOST_ID));
            return true;
        } catch (CatalogException e) {
            return false;
        }
    }

    private static void awaitHost(CatalogClient api, String host) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (api.get("/api/hosts/" + host).path("arch").isTextual()) return;
            } catch (CatalogException notYet) {
                // not enrolled yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("host " + host + " did not enrol and heartbeat within " + WAIT);
    }

    private static List<JsonNode> awaitImages(CatalogClient api, String job, int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        int shown = 0;
        while (System.nanoTime() < deadline) {
            JsonNode page = api.get("/api/images?job=" + CatalogClient.query(job) + "&sort=capturedAt&dir=asc&size=50");
            List<JsonNode> items = new java.util.ArrayList<>();
            page.path("items").forEach(items::add);
            items.removeIf(i -> !"COMPLETE".equals(i.path("state").asText()));
            if (items.size() > shown) {
                shown = items.size();
                step("   registered image " + shown + ": " + items.get(shown - 1).path("id").asText().substring(0, 12));
            }
            if (items.size() >= n) return items;
            Thread.sleep(250);
        }
        throw new IllegalStateException("fewer than " + n + " snapshots of " + job + " within " + WAIT);
    }

    static int startDetached(String command) throws IOException, InterruptedException {
        Process sh = new ProcessBuilder("/bin/sh", "-c", "setsid " + command + " </dev/null & echo $!").start();
        String pid = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        sh.waitFor();
        return Integer.parseInt(pid);
    }

    private static void awaitGone(int pid) throws InterruptedException {
        for (int i = 0; i < 200 && running(pid); i++) Thread.sleep(50);
    }

    /** Killed processes may linger as zombies until reaped; they do not run. */
    private static boolean running(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException gone) {
            return false;
        }
    }

    private static long awaitCountChange(Path out, long from) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        long now = lastCount(out);
        while (now == from && System.nanoTime() < deadline) {
            Thread.sleep(100);
            now = lastCount(out);
        }
        return now;
    }

    private static long lastCount(Path out) throws IOException {
        List<String> lines = Files.readAllLines(out);
        for (int i = lines.size() - 1; i >= 0; i--) {
            String l = lines.get(i).replace("\0", "").trim();
            if (!l.isEmpty()) {
                try {
                    return Long.parseLong(l.split(" ")[0]);
                } catch (NumberFormatException partial) {
                    // a line being written
                }
            }
        }
        return 0;
    }
}
