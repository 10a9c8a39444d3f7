// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pipeline;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

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

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fault suite (issue 12), load: agents of four hosts report 200 checkpoints a minute for a minute
 * (real manifests in the S3 server, checkpoint.completed through the broker, incremental chains
 * per job) while four people signed in to the web catalog browse it without pause: the dashboard,
 * the image list and an image's page, hosts, jobs, and the JSON API behind them. No answer may be
 * an error, and every image must be registered exactly once. The latencies are printed (the
 * figures in bench/RESULTS.md come from here); nothing here is timed against a limit.
 */
@PipelineTest
class RegistrationLoadTests {

    static final int HOSTS = 4;
    static final int REGISTRATIONS = 200;
    static final Duration SPREAD = Duration.ofSeconds(60);
    static final int BROWSERS = 4;

    @Autowired PipelineFixtures pf;
    @Autowired Fixtures fx;
    @Autowired JdbcClient jdbc;
    @LocalServerPort int port;

    record Report(TestAgent agent, String imageId, String job) {
    }

    long count(String sql, Object... args) {
        return jdbc.sql(sql).params(args).query(Long.class).single();
    }

    @Test
    void twoHundredRegistrationsAMinuteWhilePeopleBrowse() throws Exception {
        List<TestAgent> agents = new ArrayList<>();
        for (int h = 0; h < HOSTS; h++) agents.add(pf.enrol("load" + h));
        // Written before the clock starts: what the agents would have uploaded. Each host has two jobs,
        // each an incremental chain whose images share most chunks (pages of two seeds).
        List<Report> reports = new ArrayList<>();
        for (TestAgent a : agents) {
            try (ImageStore store = PipelineFixtures.store(a)) {
                String[] parents = new String[2];
                for (int i = 0; i < REGISTRATIONS / HOSTS; i++) {
                    int job = i % 2;
                    parents[job] = PipelineFixtures.writeImage(store, a, 7000 + job, "load-" + job + "-" + (i / 8), 64, parents[job]);
                    reports.add(new Report(a, parents[job], "load-job-" + job));
                }
            }
        }
        // Interleave the hosts as they would report (each host's own order kept: parents first).
        List<Report> order = new ArrayList<>();
        for (int i = 0; i < REGISTRATIONS / HOSTS; i++) {
            for (int h = 0; h < HOSTS; h++) order.add(reports.get(h * (REGISTRATIONS / HOSTS) + i));
        }

        String viewer = fx.user(Role.VIEWER);
        List<WebSession> people = new ArrayList<>();
        for (int b = 0; b < BROWSERS; b++) people.add(WebSession.login(port, viewer, viewer + "-password"));
        String someImage = fx.image(fx.host("load-browse"), "load-seed");
        List<String> pages = List.of("/", "/images", "/images/" + someImage, "/hosts", "/jobs", "/stats.json",
                "/api/images?size=50", "/api/images?sort=storedBytes&dir=desc&size=20", "/api/images/" + someImage,
                "/api/hosts", "/api/jobs", "/api/images?host=" + agents.get(1).hostId() + "&size=20");
        Map<String, List<Long>> latencies = new ConcurrentHashMap<>();
        Map<String, String> errors = new ConcurrentHashMap<>();
        AtomicBoolean browsing = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(BROWSERS);
        List<Future<?>> browsers = new ArrayList<>();
        for (int b = 0; b < BROWSERS; b++) {
            WebSession person = people.get(b);
            int first = b;
            browsers.add(pool.submit(() -> {
                for (int n = first; browsing.get(); n++) {
                    String path = pages.get(n % pages.size());
                    long t0 = System.nanoTime();
                    HttpResponse<String> r = person.get(path);
                    latencies.computeIfAbsent(path.replace(someImage, "{id}").replaceAll("host=[^&]+", "host={host}"),
                            k -> Collections.synchronizedList(new ArrayList<>())).add(System.nanoTime() - t0);
                    if (r.statusCode() != 200) errors.putIfAbsent(path + " " + r.statusCode(), r.body());
                }
                return null;
            }));
        }

        long start = System.nanoTime();
        long gap = SPREAD.toNanos() / REGISTRATIONS;
        Map<String, Long> sentAt = new ConcurrentHashMap<>();
        for (int i = 0; i < order.size(); i++) {
            long due = start + i * gap;
            long wait = due - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            Report r = order.get(i);
            sentAt.put(r.imageId(), System.currentTimeMillis());
            pf.send(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, r.agent(),
                    new CheckpointCompleted(CheckpointCompleted.VERSION, UUID.randomUUID(), r.agent().hostId(), r.job(), Map.of(),
                            r.imageId(), "manifests/" + r.imageId(), null, Instant.now(), 1L, 1L, 7L), r.agent().keys());
        }
        double sendSeconds = (System.nanoTime() - start) / 1e9;
        List<String> hostIds = agents.stream().map(TestAgent::hostId).toList();
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(250)).until(() -> count(
                "SELECT count(*) FROM images WHERE host_id = ANY (?) AND state = 'COMPLETE'", (Object) hostIds.toArray(String[]::new))
                == REGISTRATIONS);
        double allSeconds = (System.nanoTime() - start) / 1e9;
        browsing.set(false);
        for (Future<?> f : browsers) f.get(120, TimeUnit.SECONDS);
        pool.shutdown();

        // Registration latency: from the send to the image's registered_at (the catalog's clock, same machine).
        List<Long> registration = new ArrayList<>();
        for (Report r : order) {
            long at = jdbc.sql("SELECT (extract(epoch FROM registered_at) * 1000)::bigint FROM images WHERE id = ?")
                    .param(r.imageId()).query(Long.class).single();
            registration.add((at - sentAt.get(r.imageId())) * 1_000_000);
        }
        StringBuilder out = new StringBuilder(String.format("%n%d registrations sent in %.1f s, all registered after %.1f s; "
                + "load average %s%n", REGISTRATIONS, sendSeconds, allSeconds, loadAverage()));
        out.append(line("checkpoint.completed sent -> registered", registration));
        new TreeMap<>(latencies).forEach((path, v) -> out.append(line("GET " + path, v)));
        System.out.println(out);

        assertThat(errors).as("answers other than 200 while registrations ran").isEmpty();
        for (Report r : order) {
            assertThat(count("SELECT count(*) FROM audit_log WHERE action = 'image.registered' AND target_id = ?", r.imageId()))
                    .as("registered once: %s", r.imageId()).isOne();
        }
        assertThat(count("SELECT count(*) FROM images WHERE host_id = ANY (?)", (Object) hostIds.toArray(String[]::new)))
                .isEqualTo(REGISTRATIONS);
        assertThat(count("SELECT count(*) FROM dead_letters WHERE message_key = ANY (?)", (Object) hostIds.toArray(String[]::new)))
                .isZero();
        assertThat(latencies.values().stream().mapToInt(List::size).sum()).as("pages fetched").isGreaterThan(pages.size());
    }

    static String line(String what, List<Long> nanos) {
        List<Long> s = new ArrayList<>(nanos);
        Collections.sort(s);
        return String.format("  %-60s n=%5d  p50 %7.1f ms  p95 %7.1f ms  p99 %7.1f ms  max %7.1f ms%n", what, s.size(),
                pct(s, 50), pct(s, 95), pct(s, 99), s.get(s.size() - 1) / 1e6);
    }

    static double pct(List<Long> sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i))) / 1e6;
    }

    static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).strip();
        } catch (java.io.IOException e) {
            return "?";
        }
    }
}
