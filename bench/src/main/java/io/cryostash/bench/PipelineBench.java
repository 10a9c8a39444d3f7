// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.cryostash.agent.proc.ProcStat;
import io.cryostash.cli.up.AllInOne;
import io.cryostash.daemon.AgentDaemon;
import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.daemon.catalog.CatalogClient;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.EventCodec;
import io.cryostash.schema.event.RestoreRequested;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.event.SnapshotRequested;
import io.cryostash.schema.event.Topics;
import io.cryostash.store.backend.S3Config;

/**
 * The pipeline, warm, in one JVM: the stack of {@code cryostash up} (Kafka, the S3 server, the
 * catalog on its embedded PostgreSQL, host A's agent) plus host B's agent, with a home of its own
 * (as on another machine: it trusts A's images because the catalog vouches for A's key).
 * <ul>
 * <li>restore: for each size, memhog of N MiB is captured (snapshot request with kill), then
 *     restored on host B again and again: time from {@code POST /api/restores} until the catalog
 *     says COMPLETED (the process runs on B: the agent reports after it detached), p50 and p99;</li>
 * <li>snapshot: memhog of 1 GiB, one full snapshot, then rounds of "write 1 % of its pages, request
 *     a snapshot": the freeze the agent reports (checkpoint.completed freezeMillis) and the time from
 *     {@code POST /api/jobs/{id}/snapshots} until the image is COMPLETE in the catalog. Rounds are
 *     {@code -Dpipeline.snapshotGapMs} apart (default 5000), as a schedule (whose shortest period is a
 *     minute) spaces them: the catalog's bookkeeping of an image (its reverse index and the packs'
 *     live bytes, PackLiveBytesWorker, within seconds) is then done before the next one. 0 runs them
 *     back to back, so that each snapshot shares the two cores with the previous one's bookkeeping.</li>
 * </ul>
 * Each run is also broken down by hop, with the medians printed: the records' own timestamps on
 * the topics (when the catalog's outbox relay or an agent's spool sender produced them), the
 * events' times, and the lines the agents and the catalog log per request (RequestConsumer: how
 * long a request waited on its topic; RestoreHandler and SnapshotHandler: their phases;
 * CheckpointRegistrar and CatalogEventListeners: verification, database, how long a report waited),
 * which go to {@code pipeline.log} in the bench's directory. One JVM, one clock.
 * Usage: PipelineBench C_DIR [restore-runs] [snapshot-rounds] [sizes in MiB...]
 */
public final class PipelineBench {
    private static final Duration WAIT = Duration.ofMinutes(5);

    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        List<Integer> sizes = new ArrayList<>();
        for (int i = 3; i < args.length; i++) sizes.add(Integer.parseInt(args[i]));
        if (sizes.isEmpty()) sizes = List.of(64, 1024);
        // rwx--x--x: the catalog's database account must pass through to the stack's database
        Path work = Files.createTempDirectory("pipeline-bench-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Log log = new Log(work.resolve("pipeline.log"));
        Path hog = work.resolve("memhog");
        CheckpointBench.exec("gcc", "-O2", "-o", hog.toString(), cdir.resolve("memhog.c").toString());
        String hostA = "bench-a";
        String hostB = "bench-b";
        Path home = work.resolve("home");
        Path config = home.resolve("client.properties");
        System.out.printf("pipeline bench %s, load average %s, log %s%n", Instant.now(), loadavg(), log.file);
        try (AllInOne.Running stack = new AllInOne(0, work.resolve("stack"), null, hostA, "127.0.0.1", null, home, config, true).start()) {
            ClientConfig cc = stack.clientConfig();
            String token = cc.get(ClientConfig.CATALOG_TOKEN);
            CatalogClient api = new CatalogClient(stack.catalogUrl(), () -> token, Duration.ofSeconds(30));
            boolean inProcess = Boolean.getBoolean("pipeline.agentB.inProcess");
            AutoCloseable agentB;
            if (inProcess) {
                AgentSettings b = AgentSettings.resolve(new AgentSettings.Flags(hostB, null, null, null, null, null, null, null,
                        S3Config.Overrides.NONE), Map.of(), ClientConfig.load(config), config).withHome(work.resolve("home-b"));
                agentB = AgentDaemon.start(b);
            } else {
                agentB = agentProcess(hostB, config, work.resolve("home-b"), log);
            }
            System.out.printf("host B's agent: %s%n", inProcess ? "in this JVM (-Dpipeline.agentB.inProcess=true)"
                    : "its own JVM running `agent --host-id " + hostB + "` (the bench's class path, not the launcher's start-up"
                    + " archive; flags from -Dpipeline.agentB.jvm)");
            try (agentB; Tap tap = new Tap(cc)) {
                awaitHost(api, hostA);
                awaitHost(api, hostB);
                for (int mib : sizes) restores(api, hog, work, mib, runs, hostA, hostB, tap, log);
                // -Dpipeline.snapshotHost=b: the snapshots by host B's agent (its own JVM, without the stack's S3 server beside it)
                String snapshotHost = "b".equals(System.getProperty("pipeline.snapshotHost")) ? hostB : hostA;
                if (rounds > 0) snapshots(api, hog, work, 1024, rounds, snapshotHost, tap, log);
            }
        }
        System.out.printf("done, load average %s%n", loadavg());
    }

    /**
     * Host B's agent in its own JVM beside the stack, as {@code cryostash agent --host-id B} runs it
     * (joining through the client config), but started with the bench's class path rather than
     * through the launcher (no start-up archive, JIT flags only from -Dpipeline.agentB.jvm); it logs
     * to a file the bench reads with its own.
     */
    private static AutoCloseable agentProcess(String hostId, Path config, Path home, Log log) throws IOException {
        Path agentLog = log.file.resolveSibling("agent-" + hostId + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        String jvm = System.getProperty("pipeline.agentB.jvm", ""); // e.g. "-XX:TieredStopAtLevel=1"
        if (!jvm.isBlank()) cmd.addAll(List.of(jvm.trim().split("\\s+")));
        cmd.addAll(List.of("-Dorg.slf4j.simpleLogger.logFile=" + agentLog,
                "-Dorg.slf4j.simpleLogger.log.io.cryostash.daemon.kafka.RequestConsumer=debug",
                "-cp", System.getProperty("java.class.path"), "io.cryostash.cli.Cryostash", "agent", "--host-id", hostId,
                "--config", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(log.file.resolveSibling("agent-" + hostId + ".out").toFile());
        pb.environment().put(AgentSettings.ENV_HOME, home.toString());
        Process p = pb.start();
        log.also(agentLog);
        return () -> {
            p.destroy(); // SIGTERM: the agent finishes the request in hand and stops
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
        };
    }

    private static String loadavg() throws IOException {
        return Files.readString(Path.of("/proc/loadavg")).trim();
    }

    private static void restores(CatalogClient api, Path hog, Path work, int mib, int runs, String hostA, String hostB, Tap tap,
                                 Log log) throws Exception {
        int pid = CheckpointBench.startDetached(hog + " " + mib + " 10 > " + work.resolve("hog-" + mib + ".log"));
        awaitReady(work.resolve("hog-" + mib + ".log"));
        long job = job(api, hostA, "restore-" + mib, pid);
        api.post("/api/jobs/" + job + "/snapshots", Map.of("kill", true));
        String image = awaitImages(api, "restore-" + mib, 1).get(0).path("id").asText();
        List<Double> ms = new ArrayList<>();
        List<Double> running = new ArrayList<>();
        List<Double> reaped = new ArrayList<>();
        Hops hops = new Hops();
        for (int i = 0; i <= runs; i++) {
            long wall0 = System.currentTimeMillis();
            long t0 = System.nanoTime();
            String id = api.post("/api/restores", Map.of("imageId", image, "hostId", hostB)).path("id").asText();
            long posted = System.currentTimeMillis();
            JsonNode r;
            while (true) {
                r = api.get("/api/restores/" + id);
                String s = r.path("state").asText();
                if (s.equals("COMPLETED")) break;
                if (s.equals("FAILED") || s.equals("CANCELLED")) throw new IllegalStateException("restore " + r);
                if (System.nanoTime() - t0 > WAIT.toNanos()) throw new IllegalStateException("restore too slow: " + r);
                Thread.sleep(5);
            }
            double took = (System.nanoTime() - t0) / 1e6;
            long seen = System.currentTimeMillis();
            int restored = r.path("restoredPid").asInt();
            CheckpointBench.exec("kill", "-9", Integer.toString(restored));
            if (i > 0) { // the first is a warm-up
                ms.add(took);
                Map<String, Double> h = restoreHops(id, wall0, posted, seen, tap, log);
                running.add(h.get(RUNS_ON_B));
                hops.add(h);
            }
            reaped.add(awaitReaped(restored));
        }
        System.out.printf("restore request to the process running on host B, %d MiB, %d runs: p50 %.0f ms, p99 %.0f ms"
                + " (min %.0f, max %.0f)%n", mib, running.size(), pct(running, 50), pct(running, 99), pct(running, 0),
                pct(running, 100));
        System.out.printf("restore request to COMPLETED in the catalog, %d MiB, %d runs: p50 %.0f ms, p99 %.0f ms (min %.0f,"
                + " max %.0f)%n", mib, ms.size(), pct(ms, 50), pct(ms, 99), pct(ms, 0), pct(ms, 100));
        hops.print("  by hop, median (ms) of the " + ms.size() + " runs");
        System.out.printf("  (between runs, the killed copy's zombie was reaped after p50 %.0f ms, max %.0f: not timed)%n",
                pct(reaped, 50), pct(reaped, 100));
    }

    /**
     * Waits until the killed restored copy is gone. It is an orphan (the husk's helper is gone), so
     * pid 1 reaps it, and this VM's pid 1 (the sandbox's init) does so only every 1.7–2 s; until then
     * its zombie holds the pid, and the next restore of the same image (which takes that pid back)
     * would wait for it in PidCheck: time of this machine's init, not of the restore, which on a host
     * with an ordinary init is microseconds. Returns how long it took.
     */
    private static double awaitReaped(int pid) throws InterruptedException {
        long t0 = System.nanoTime();
        while (Files.exists(Path.of("/proc/" + pid)) && System.nanoTime() - t0 < WAIT.toNanos()) {
            Thread.sleep(5);
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * The process runs once the agent's restore returns (the threads are let go last): the hops up
     * to there added up, from the request's POST.
     */
    private static final String RUNS_ON_B = "= the process runs on host B (the hops above added up)";

    /** A phase list as the agent logs it ({@code read image 12.3, check 0.4, …}), one indented hop each. */
    private static void putPhases(Map<String, Double> hops, String phases) {
        for (String phase : phases.split(", ")) {
            int space = phase.lastIndexOf(' ');
            if (space > 0) hops.put("  (" + phase.substring(0, space) + ")", Double.parseDouble(phase.substring(space + 1)));
        }
    }

    /** Where one restore's time went, in the order it was spent. */
    private static Map<String, Double> restoreHops(String id, long t0, long posted, long seen, Tap tap, Log log) throws Exception {
        Tap.Seen requested = tap.await(Topics.RESTORE_REQUESTED, id);
        Tap.Seen running = tap.await(Topics.RESTORE_STATUS, id + "/RUNNING");
        Tap.Seen completed = tap.await(Topics.RESTORE_STATUS, id + "/COMPLETED");
        Matcher agent = log.await(Pattern.compile("restored image \\S+ as pid \\d+ for request " + id + " in (\\d+) ms \\(confirm (\\d+) ms,"
                + " signer (\\d+) ms, RUNNING spooled (\\d+) ms, restore (\\d+) ms, COMPLETED spooled (\\d+) ms\\)"
                + "; restore phases \\(ms\\): (.*)$"));
        Matcher taken = log.await(Pattern.compile(Pattern.quote(Topics.RESTORE_REQUESTED) + "-" + requested.partition()
                + " message at offset " + requested.offset() + " taken (\\d+) ms after it was produced"));
        Matcher applied = log.await(Pattern.compile("restore.status COMPLETED for request " + id
                + " applied (\\d+) ms after the agent sent it"));
        long statusAt = completed.event().toEpochMilli();
        Map<String, Double> h = new LinkedHashMap<>();
        h.put("POST /api/restores (request and outbox row committed)", (double) (posted - t0));
        h.put("outbox relay: on the topic (restore.requested produced)", (double) (requested.timestamp() - t0));
        h.put("Kafka to agent B: taken from the topic", num(taken, 1));
        h.put("agent: confirm the request with the catalog", num(agent, 2));
        h.put("agent: the catalog vouches for the signer's key", num(agent, 3));
        h.put("agent: ledger + RUNNING spooled", num(agent, 4));
        h.put("agent: restore (read + verify image, husk, memory, detach)", num(agent, 5));
        putPhases(h, agent.group(7));
        h.put(RUNS_ON_B, (double) (requested.timestamp() - t0) + num(taken, 1) + num(agent, 2) + num(agent, 3) + num(agent, 4)
                + num(agent, 5));
        h.put("agent: COMPLETED spooled", num(agent, 6));
        h.put("spool to topic (COMPLETED produced)", (double) (completed.timestamp() - statusAt));
        h.put("catalog applies COMPLETED", num(applied, 1));
        h.put("bench sees COMPLETED (polling every 5 ms)", (double) (seen - completed.timestamp()) - num(applied, 1));
        h.put("= total", (double) (seen - t0));
        h.put("(RUNNING produced after restore.requested)", (double) (running.timestamp() - requested.timestamp()));
        return h;
    }

    private static void snapshots(CatalogClient api, Path hog, Path work, int mib, int rounds, String hostA, Tap tap, Log log)
            throws Exception {
        Path out = work.resolve("drift-" + mib + ".log");
        int pid = CheckpointBench.startDetached(hog + " " + mib + " 10 > " + out);
        awaitReady(out);
        String name = "drift-" + mib;
        long job = job(api, hostA, name, pid);
        List<Double> registered = new ArrayList<>();
        List<Double> frozen = new ArrayList<>();
        Hops hops = new Hops();
        long gap = Long.getLong("pipeline.snapshotGapMs", 5000);
        for (int i = 0; i <= rounds; i++) {
            if (i > 0) {
                Thread.sleep(gap);
                CheckpointBench.exec("kill", "-USR2", Integer.toString(pid));
                awaitLine(out, "drift " + i);
            }
            long wall0 = System.currentTimeMillis();
            long t0 = System.nanoTime();
            String request = api.post("/api/jobs/" + job + "/snapshots", Map.of()).path("requestId").asText();
            long posted = System.currentTimeMillis();
            // the image is known from its checkpoint.completed; only then is the catalog asked, and for
            // that one image: listing the job's images every 5 ms all along took a core of the two
            // from the agent and the catalog being measured
            Tap.Seen done = tap.await(Topics.CHECKPOINT_COMPLETED, request);
            awaitComplete(api, name, done.image());
            double took = (System.nanoTime() - t0) / 1e6;
            long seen = System.currentTimeMillis();
            if (i > 0) {
                registered.add(took);
                frozen.add((double) done.freezeMillis());
                hops.add(snapshotHops(request, done, wall0, posted, seen, tap, log));
            }
        }
        CheckpointBench.exec("kill", "-9", Integer.toString(pid));
        System.out.printf("scheduled-style snapshot of %d MiB on host %s, 1%% of pages written between snapshots, %d rounds %d ms"
                        + " apart: freeze p50 %.0f ms (max %.0f); request to registered p50 %.0f ms, p99 %.0f ms (max %.0f)%n", mib, hostA,
                registered.size(), gap,
                pct(frozen, 50), pct(frozen, 100), pct(registered, 50), pct(registered, 99), pct(registered, 100));
        // in order, so that a reader sees how much of the spread is the JVMs warming up
        System.out.printf("  request to registered by round (ms): %s%n",
                registered.stream().map(d -> String.format("%.0f", d)).collect(java.util.stream.Collectors.joining(" ")));
        hops.print("  by hop, median (ms) of the " + registered.size() + " rounds");
    }

    private static Map<String, Double> snapshotHops(String request, Tap.Seen done, long t0, long posted, long seen, Tap tap, Log log)
            throws Exception {
        Tap.Seen requested = tap.await(Topics.SNAPSHOT_REQUESTED, request);
        Matcher taken = log.await(Pattern.compile(Pattern.quote(Topics.SNAPSHOT_REQUESTED) + "-" + requested.partition()
                + " message at offset " + requested.offset() + " taken (\\d+) ms after it was produced"));
        Matcher agent = log.await(Pattern.compile("for request " + request + ": image (\\S+) \\(\\S+\\) in (\\d+) ms \\(capture (\\d+) ms"
                + " of which pre-copy (\\d+) ms and frozen (\\d+) ms, completed spooled (\\d+) ms\\); freeze phases \\(ms\\): (.*)$"));
        String image = agent.group(1);
        Matcher verified = log.await(Pattern.compile("Image " + image + ": manifest, tables and index read and verified in (\\d+) ms;"
                + " (\\d+) chunks registered in (\\d+) ms"));
        Matcher registered = log.await(Pattern.compile("Image " + image + " of host \\S+ \\(job [^)]*\\): CREATED, (\\d+) ms after the"
                + " agent sent it"));
        Map<String, Double> h = new LinkedHashMap<>();
        h.put("POST /api/jobs/{id}/snapshots (request and outbox row committed)", (double) (posted - t0));
        h.put("outbox relay: on the topic (snapshot.requested produced)", (double) (requested.timestamp() - t0));
        h.put("Kafka to the agent: taken from the topic", num(taken, 1));
        h.put("agent: ledger, checks", num(agent, 2) - num(agent, 3) - num(agent, 6));
        h.put("agent: capture: pre-copy while the process runs", num(agent, 4));
        h.put("agent: capture: frozen", num(agent, 5));
        putPhases(h, agent.group(7));
        h.put("agent: capture: the rest (parent read, chunks to S3, tables, manifest)", num(agent, 3) - num(agent, 4) - num(agent, 5));
        h.put("agent: checkpoint.completed spooled", num(agent, 6));
        h.put("spool to topic (checkpoint.completed produced)", (double) (done.timestamp() - requested.timestamp())
                - num(taken, 1) - num(agent, 2));
        h.put("catalog: manifest, tables, index read and verified", num(verified, 1));
        h.put("catalog: database (image, chunks, contents)", num(verified, 3));
        h.put("  (chunks the image names)", num(verified, 2));
        h.put("catalog: from the agent's send to CREATED (the two above and the wait)", num(registered, 1));
        h.put("bench sees COMPLETE (polling every 5 ms)", (double) (seen - done.timestamp()) - num(registered, 1));
        h.put("= total", (double) (seen - t0));
        h.put("agent: whole request", num(agent, 2));
        return h;
    }

    private static double num(Matcher m, int group) {
        return Double.parseDouble(m.group(group));
    }

    private static long job(CatalogClient api, String host, String name, int pid) {
        return api.post("/api/jobs", Map.of("hostId", host, "name", name, "pid", pid,
                "processStart", ProcStat.read(pid).startTime())).path("id").asLong();
    }

    private static void awaitComplete(CatalogClient api, String job, String image) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            // the list, not the image's details: those add up its chunks, a query of its own
            for (JsonNode i : api.get("/api/images?job=" + CatalogClient.query(job) + "&sort=capturedAt&dir=desc&size=1").path("items")) {
                if (i.path("id").asText().equals(image) && "COMPLETE".equals(i.path("state").asText())) return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("image " + image + " not COMPLETE in the catalog");
    }

    private static List<JsonNode> awaitImages(CatalogClient api, String job, int n) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> items = new ArrayList<>();
            api.get("/api/images?job=" + CatalogClient.query(job) + "&sort=capturedAt&dir=asc&size=200").path("items").forEach(i -> {
                if ("COMPLETE".equals(i.path("state").asText())) items.add(i);
            });
            if (items.size() >= n) return items;
            Thread.sleep(5);
        }
        throw new IllegalStateException("no image " + n + " of " + job);
    }

    private static void awaitHost(CatalogClient api, String host) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (api.get("/api/hosts/" + host).path("arch").isTextual()) return;
            } catch (RuntimeException notYet) {
                // not enrolled yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("host " + host + " never heartbeated");
    }

    private static void awaitReady(Path log) throws Exception {
        awaitLine(log, "ready");
    }

    private static void awaitLine(Path log, String line) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(line))) return;
            Thread.sleep(5);
        }
        throw new IllegalStateException("no line " + line + " in " + log);
    }

    private static double pct(List<Double> v, int p) {
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
        return s.get(Math.max(0, Math.min(s.size() - 1, i)));
    }

    /** Per-hop figures of many runs; prints each hop's median. */
    private static final class Hops {
        private final Map<String, List<Double>> byHop = new LinkedHashMap<>();

        void add(Map<String, Double> run) {
            run.forEach((k, v) -> byHop.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }

        void print(String title) {
            System.out.println(title);
            byHop.forEach((k, v) -> System.out.printf("    %-78s %8.0f   (min %.0f, max %.0f)%n", k, pct(v, 50), pct(v, 0), pct(v, 100)));
        }
    }

    /**
     * The bench's log: slf4j-simple writes every logger of this JVM (the stack, both agents) to a file,
     * with the per-request timing lines on. Set before anything logs.
     */
    private static final class Log {
        final Path file;
        /** Other processes' logs read with this one (host B's agent in its own JVM). */
        private final List<Path> others = new java.util.concurrent.CopyOnWriteArrayList<>();

        void also(Path other) {
            others.add(other);
        }

        Log(Path file) {
            this.file = file;
            System.setProperty("org.slf4j.simpleLogger.logFile", file.toString());
            System.setProperty("org.slf4j.simpleLogger.log.io.cryostash.daemon.kafka.RequestConsumer", "debug");
            System.setProperty("org.slf4j.simpleLogger.log.io.cryostash.catalog.image.CheckpointRegistrar", "debug");
            System.setProperty("org.slf4j.simpleLogger.log.io.cryostash.catalog.image.ImageService", "debug");
            System.setProperty("org.slf4j.simpleLogger.log.io.cryostash.catalog.event.CatalogEventListeners", "debug");
        }

        /** The last line matching {@code p}, waiting for it a little: loggers write after the event that ends a run. */
        Matcher await(Pattern p) throws Exception {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                Matcher last = null;
                List<Path> files = new ArrayList<>(others);
                files.add(0, file);
                for (Path f : files) {
                    if (!Files.exists(f)) continue;
                    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                        Matcher m = p.matcher(line);
                        if (m.find()) last = m;
                    }
                }
                if (last != null) return last;
                if (System.nanoTime() > deadline) throw new IllegalStateException("no line like " + p + " in " + file);
                Thread.sleep(20);
            }
        }
    }

    /** Every pipeline record, by request id (restore statuses by id/state): its topic timestamp, where it is, its event time. */
    private static final class Tap implements AutoCloseable {
        record Seen(long timestamp, int partition, long offset, Instant event, long freezeMillis, String image) {
        }

        private final Map<String, Seen> seen = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        Tap(ClientConfig cc) {
            Map<String, Object> p = new HashMap<>(new io.cryostash.daemon.kafka.KafkaSettings(cc.get(ClientConfig.KAFKA_BOOTSTRAP),
                    "SASL_PLAINTEXT", "SCRAM-SHA-256", cc.get(ClientConfig.KAFKA_USERNAME), cc.get(ClientConfig.KAFKA_PASSWORD))
                    .clientProperties());
            p.put("group.id", "bench-tap");
            p.put("auto.offset.reset", "earliest");
            EventCodec codec = new EventCodec();
            thread = new Thread(() -> {
                try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
                    c.subscribe(List.of(Topics.RESTORE_REQUESTED, Topics.RESTORE_STATUS, Topics.SNAPSHOT_REQUESTED,
                            Topics.CHECKPOINT_COMPLETED));
                    while (running) {
                        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                            Header type = r.headers().lastHeader(Topics.HEADER_TYPE);
                            String t = type == null ? "" : new String(type.value(), StandardCharsets.UTF_8);
                            switch (t) {
                                case RestoreRequested.TYPE -> {
                                    RestoreRequested e = codec.decode(r.value(), RestoreRequested.class);
                                    seen.put(r.topic() + " " + e.restoreRequestId(), seen(r, e.requestedAt(), 0));
                                }
                                case RestoreStatus.TYPE -> {
                                    RestoreStatus e = codec.decode(r.value(), RestoreStatus.class);
                                    seen.put(r.topic() + " " + e.restoreRequestId() + "/" + e.state(), seen(r, e.at(), 0));
                                }
                                case SnapshotRequested.TYPE -> {
                                    SnapshotRequested e = codec.decode(r.value(), SnapshotRequested.class);
                                    seen.put(r.topic() + " " + e.requestId(), seen(r, e.requestedAt(), 0));
                                }
                                case CheckpointCompleted.TYPE -> {
                                    CheckpointCompleted e = codec.decode(r.value(), CheckpointCompleted.class);
                                    if (e.requestId() != null) {
                                        seen.put(r.topic() + " " + e.requestId(), new Seen(r.timestamp(), r.partition(),
                                                r.offset(), e.capturedAt(), e.freezeMillis() == null ? -1 : e.freezeMillis(),
                                                e.imageId()));
                                    }
                                }
                                default -> {
                                }
                            }
                        }
                    }
                }
            }, "bench-tap");
            thread.setDaemon(true);
            thread.start();
        }

        private static Seen seen(ConsumerRecord<String, byte[]> r, Instant event, long freeze) {
            return new Seen(r.timestamp(), r.partition(), r.offset(), event, freeze, null);
        }

        Seen await(String topic, String key) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            Seen s;
            while ((s = seen.get(topic + " " + key)) == null) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("no " + topic + " record for " + key);
                Thread.sleep(5);
            }
            return s;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
        }
    }
}
