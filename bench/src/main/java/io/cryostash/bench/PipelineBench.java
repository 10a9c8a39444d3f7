// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
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
import io.cryostash.schema.event.Topics;
import io.cryostash.store.backend.S3Config;

/**
 * The pipeline, warm, in one JVM: the stack of {@code cryostash up} (Kafka, the S3 server, the
 * catalog on its embedded PostgreSQL, host A's agent) plus host B's agent.
 * <ul>
 * <li>restore: for each size, memhog of N MiB is captured (snapshot request with kill), then
 *     restored on host B again and again: time from {@code POST /api/restores} until the catalog
 *     says COMPLETED (the process runs on B: the agent reports after it detached), p50 and p99;</li>
 * <li>snapshot: memhog of 1 GiB, one full snapshot, then rounds of "write 1 % of its pages, request
 *     a snapshot": the freeze the agent reports (checkpoint.completed freezeMillis) and the time from
 *     {@code POST /api/jobs/{id}/snapshots} until the image is COMPLETE in the catalog.</li>
 * </ul>
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
        Path work = Files.createTempDirectory("pipeline-bench-");
        Path hog = work.resolve("memhog");
        CheckpointBench.exec("gcc", "-O2", "-o", hog.toString(), cdir.resolve("memhog.c").toString());
        String hostA = "bench-a";
        String hostB = "bench-b";
        Path home = work.resolve("home");
        Path config = home.resolve("client.properties");
        System.out.printf("pipeline bench %s, load average %s%n", Instant.now(), Files.readString(Path.of("/proc/loadavg")).trim());
        try (AllInOne.Running stack = new AllInOne(0, work.resolve("stack"), null, hostA, "127.0.0.1", null, home, config, true).start()) {
            ClientConfig cc = stack.clientConfig();
            String token = cc.get(ClientConfig.CATALOG_TOKEN);
            CatalogClient api = new CatalogClient(stack.catalogUrl(), () -> token, Duration.ofSeconds(30));
            AgentSettings b = AgentSettings.resolve(new AgentSettings.Flags(hostB, null, null, null, null, null, null, null,
                    S3Config.Overrides.NONE), Map.of(), ClientConfig.load(config), config).withHome(home);
            try (AgentDaemon agentB = AgentDaemon.start(b); Freezes freezes = new Freezes(cc)) {
                awaitHost(api, hostA);
                awaitHost(api, hostB);
                for (int mib : sizes) restores(api, hog, work, mib, runs, hostA, hostB);
                snapshots(api, hog, work, 1024, rounds, hostA, freezes);
            }
        }
        System.out.printf("done, load average %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
    }

    private static void restores(CatalogClient api, Path hog, Path work, int mib, int runs, String hostA, String hostB)
            throws Exception {
        int pid = CheckpointBench.startDetached(hog + " " + mib + " 10 > " + work.resolve("hog-" + mib + ".log"));
        awaitReady(work.resolve("hog-" + mib + ".log"));
        long job = job(api, hostA, "restore-" + mib, pid);
        api.post("/api/jobs/" + job + "/snapshots", Map.of("kill", true));
        String image = awaitImages(api, "restore-" + mib, 1).get(0).path("id").asText();
        List<Double> ms = new ArrayList<>();
        for (int i = 0; i <= runs; i++) {
            long t0 = System.nanoTime();
            String id = api.post("/api/restores", Map.of("imageId", image, "hostId", hostB)).path("id").asText();
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
            CheckpointBench.exec("kill", "-9", Integer.toString(r.path("restoredPid").asInt()));
            if (i > 0) ms.add(took); // the first is a warm-up
        }
        System.out.printf("restore request to running on host B, %d MiB, %d runs: p50 %.0f ms, p99 %.0f ms (min %.0f, max %.0f)%n",
                mib, ms.size(), pct(ms, 50), pct(ms, 99), pct(ms, 0), pct(ms, 100));
    }

    private static void snapshots(CatalogClient api, Path hog, Path work, int mib, int rounds, String hostA, Freezes freezes)
            throws Exception {
        Path log = work.resolve("drift-" + mib + ".log");
        int pid = CheckpointBench.startDetached(hog + " " + mib + " 10 > " + log);
        awaitReady(log);
        String name = "drift-" + mib;
        long job = job(api, hostA, name, pid);
        List<Double> registered = new ArrayList<>();
        List<Double> frozen = new ArrayList<>();
        for (int i = 0; i <= rounds; i++) {
            if (i > 0) {
                CheckpointBench.exec("kill", "-USR2", Integer.toString(pid));
                awaitLine(log, "drift " + i);
            }
            long t0 = System.nanoTime();
            String request = api.post("/api/jobs/" + job + "/snapshots", Map.of()).path("requestId").asText();
            awaitImages(api, name, i + 1);
            double took = (System.nanoTime() - t0) / 1e6;
            Long freeze = freezes.await(request);
            if (i > 0) {
                registered.add(took);
                frozen.add(freeze.doubleValue());
            }
        }
        CheckpointBench.exec("kill", "-9", Integer.toString(pid));
        System.out.printf("scheduled-style snapshot of %d MiB, 1%% of pages written between snapshots, %d rounds: freeze p50 %.0f ms"
                        + " (max %.0f); request to registered p50 %.0f ms, p99 %.0f ms (max %.0f)%n", mib, registered.size(),
                pct(frozen, 50), pct(frozen, 100), pct(registered, 50), pct(registered, 99), pct(registered, 100));
    }

    private static long job(CatalogClient api, String host, String name, int pid) {
        return api.post("/api/jobs", Map.of("hostId", host, "name", name, "pid", pid,
                "processStart", ProcStat.read(pid).startTime())).path("id").asLong();
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

    /** freezeMillis of every checkpoint.completed, by request id. */
    private static final class Freezes implements AutoCloseable {
        private final Map<String, Long> byRequest = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        Freezes(ClientConfig cc) {
            Map<String, Object> p = new HashMap<>(new io.cryostash.daemon.kafka.KafkaSettings(cc.get(ClientConfig.KAFKA_BOOTSTRAP),
                    "SASL_PLAINTEXT", "SCRAM-SHA-256", cc.get(ClientConfig.KAFKA_USERNAME), cc.get(ClientConfig.KAFKA_PASSWORD))
                    .clientProperties());
            p.put("group.id", "bench-freezes");
            p.put("auto.offset.reset", "earliest");
            EventCodec codec = new EventCodec();
            thread = new Thread(() -> {
                try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
                    c.subscribe(List.of(Topics.CHECKPOINT_COMPLETED));
                    while (running) {
                        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(100))) {
                            CheckpointCompleted e = codec.decode(r.value(), CheckpointCompleted.class);
                            if (e.requestId() != null && e.freezeMillis() != null) byRequest.put(e.requestId().toString(), e.freezeMillis());
                        }
                    }
                }
            }, "bench-freezes");
            thread.setDaemon(true);
            thread.start();
        }

        Long await(String request) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (!byRequest.containsKey(request) && System.nanoTime() < deadline) Thread.sleep(5);
            return byRequest.get(request);
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
        }
    }
}
