// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import io.cryostash.agent.proc.ProcStat;
import io.cryostash.daemon.ClientConfig;
import io.cryostash.daemon.catalog.CatalogClient;
import io.cryostash.daemon.catalog.CatalogException;

/**
 * The bounded soak of issue 12, run the way a user runs the system: {@code cryostash up} (catalog
 * with its embedded PostgreSQL, Kafka, the S3 server, its own host's agent) in one process, and
 * {@code cryostash agent --host-id soak-host} in another, whose memory is the one watched. Both
 * through the repository's {@code cryostash} launcher, with a $CRYOSTASH_HOME of the bench's own.
 * The catalog runs retention and its store GC on its own schedules (every minute here, through
 * SPRING_APPLICATION_JSON; hourly by default); the soak only uses the REST API as a user would:
 * a job for the soakfix fixture on soak-host, its retention policy (keep last N) and a schedule
 * (every 10 s). Every ~30 s it samples the agent JVM (heap after a full GC, RSS, threads, fds), the
 * job's images, the bytes the S3 server holds and the catalog's GC runs. At the end it stops the
 * schedule, kills the fixture, restores its newest image on soak-host through a restore request,
 * has the restored fixture replay its history and compare its memory, and runs {@code cryostash
 * verify} on the store and on the restored image.
 * Usage: SoakBench C_DIR [minutes] [MiB] [keep last] [interval seconds] (default 30 32 5 10)
 */
public final class SoakBench {
    private static final String HOST = "soak-host";
    private static final String JOB = "soak";
    private static final Duration SAMPLE_EVERY = Duration.ofSeconds(30);
    private static final Duration WAIT = Duration.ofMinutes(5);

    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]).toAbsolutePath();
        double minutes = args.length > 1 ? Double.parseDouble(args[1]) : 30;
        int mib = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int keepLast = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        int interval = args.length > 4 ? Integer.parseInt(args[4]) : 10;
        Path root = cdir.getParent().getParent().getParent().getParent();
        Path launcher = root.resolve("cryostash");
        // rwx--x--x: the catalog's database account must pass through to the stack's database
        Path work = Files.createTempDirectory("soak-bench-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx--x--x")));
        Path home = work.resolve("home");
        Files.createDirectories(home);
        Path fixture = work.resolve("soakfix");
        CheckpointBench.exec("gcc", "-O2", "-Wall", "-o", fixture.toString(), cdir.resolve("soakfix.c").toString());
        System.out.printf("soak %s: %.1f min, fixture %d MiB, snapshot every %d s, keep last %d, retention and GC every minute;"
                + " load average %s; work dir %s%n", Instant.now(), minutes, mib, interval, keepLast, loadavg(), work);

        Map<String, String> env = new LinkedHashMap<>();
        env.put("CRYOSTASH_HOME", home.toString());
        Map<String, String> upEnv = new LinkedHashMap<>(env);
        upEnv.put("SPRING_APPLICATION_JSON", "{\"cryostash.catalog.retention-interval\":\"PT1M\","
                + "\"cryostash.catalog.retention-initial-delay\":\"PT1M\",\"cryostash.catalog.gc.interval\":\"PT1M\","
                + "\"cryostash.catalog.gc.initial-delay\":\"PT90S\"}");
        List<Process> daemons = new ArrayList<>();
        List<Long> fixtures = new ArrayList<>();
        Thread cleanup = new Thread(() -> stopAll(daemons, fixtures), "soak-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        boolean pass;
        try {
            Process up = start(launcher, upEnv, work.resolve("up.log"), "up", "--port", "0", "--data-dir", work.resolve("stack").toString(),
                    "--host-id", "soak-up");
            daemons.add(up);
            awaitLine(work.resolve("up.log"), "Cryostash is up", up, Duration.ofMinutes(10));
            ClientConfig cc = ClientConfig.load(home.resolve(ClientConfig.FILE));
            String token = cc.get(ClientConfig.CATALOG_TOKEN);
            CatalogClient api = new CatalogClient(cc.get(ClientConfig.CATALOG_URL), () -> token, Duration.ofSeconds(60));
            // Native memory tracking (summary: a few % of overhead) tells JVM areas apart from memory the
            // JVM does not know of (glibc arenas, zstd and JNA allocations): RSS minus its total
            Map<String, String> agentEnv = new LinkedHashMap<>(env);
            agentEnv.put("CRYOSTASH_JAVA_OPTS", "-XX:NativeMemoryTracking=summary");
            Process agent = start(launcher, agentEnv, work.resolve("agent.log"), "agent", "--host-id", HOST);
            daemons.add(agent);
            awaitHost(api, HOST, agent);
            long agentPid = agent.pid();
            System.out.printf("stack up (catalog %s, S3 %s), agent %s is pid %d%n", cc.get(ClientConfig.CATALOG_URL),
                    cc.get(ClientConfig.S3_ENDPOINT), HOST, agentPid);

            Path out = work.resolve("soakfix.log");
            int pid = CheckpointBench.startDetached(fixture + " " + mib + " >> " + out);
            fixtures.add((long) pid);
            awaitLine(out, "ready", null, Duration.ofSeconds(60));
            long job = api.post("/api/jobs", Map.of("hostId", HOST, "name", JOB, "pid", pid,
                    "processStart", ProcStat.read(pid).startTime())).path("id").asLong();
            api.put("/api/jobs/" + job + "/retention", Map.of("keepLast", keepLast));
            long schedule = api.post("/api/schedules", Map.of("jobId", job, "intervalSeconds", interval)).path("id").asLong();
            System.out.printf("fixture pid %d, job %d, schedule %d%n%n%s%n", pid, job, schedule, SoakSample.header());

            List<SoakSample> samples = new ArrayList<>();
            Map<String, String> requests = new LinkedHashMap<>();
            long t0 = System.nanoTime();
            long end = t0 + (long) (minutes * 60e9);
            long maxComplete = 0;
            boolean baselined = false;
            while (true) {
                SoakSample s = sample(api, job, agentPid, work.resolve("stack").resolve("s3"), requests, t0);
                samples.add(s);
                maxComplete = Math.max(maxComplete, s.completeImages());
                System.out.println(s.line());
                if (!baselined && s.minutes() >= minutes / 3) { // after warm-up: what grows from here is judged
                    AgentMemory.jcmd(agentPid, "VM.native_memory baseline");
                    baselined = true;
                }
                if (!agent.isAlive()) throw new IllegalStateException("the agent died: see " + work.resolve("agent.log"));
                if (!up.isAlive()) throw new IllegalStateException("cryostash up died: see " + work.resolve("up.log"));
                if (System.nanoTime() >= end) break;
                long next = t0 + samples.size() * SAMPLE_EVERY.toNanos();
                Thread.sleep(Math.max(0, Math.min(next, end) - System.nanoTime()) / 1_000_000);
            }

            if (baselined) {
                String diff = AgentMemory.jcmd(agentPid, "VM.native_memory summary.diff");
                Files.writeString(work.resolve("nmt-diff.txt"), diff);
                System.out.println("agent native memory since the end of warm-up (jcmd VM.native_memory summary.diff, committed):");
                for (String l : diff.split("\n")) {
                    if (l.startsWith("Total") || l.trim().startsWith("-") && l.contains("committed=")) {
                        System.out.println("  " + l.trim());
                    }
                }
            }
            api.delete("/api/schedules/" + schedule);
            awaitAnswered(api, job, requests);
            SoakSample last = sample(api, job, agentPid, work.resolve("stack").resolve("s3"), requests, t0);
            JsonNode newest = api.get("/api/images?job=" + JOB + "&state=COMPLETE&sort=capturedAt&dir=desc&size=1").path("items").get(0);
            String image = newest.path("id").asText();

            new ProcessBuilder("kill", "-9", Integer.toString(pid)).start().waitFor();
            awaitGone(pid);
            long killedAt = lastTick(out);
            Files.writeString(out, "restore of " + image + "\n", StandardOpenOption.APPEND);
            long r0 = System.nanoTime();
            String restore = api.post("/api/restores", Map.of("imageId", image, "hostId", HOST)).path("id").asText();
            JsonNode r = awaitRestore(api, restore);
            double restoreSeconds = (System.nanoTime() - r0) / 1e9;
            boolean restored = "COMPLETED".equals(r.path("state").asText());
            long firstTick = -1;
            String verifyLine = "(not restored: " + r.path("state").asText() + " " + r.path("error").asText("") + ")";
            if (restored) {
                int rpid = r.path("restoredPid").asInt();
                fixtures.add((long) rpid);
                firstTick = awaitTickAfterRestore(out);
                new ProcessBuilder("kill", "-USR1", Integer.toString(rpid)).start().waitFor();
                verifyLine = awaitVerify(out);
                new ProcessBuilder("kill", "-9", Integer.toString(rpid)).start().waitFor();
            }
            // as a user on this machine: the CLI trusts its own key and trusted-keys/*.pub, so the first
            // verify shows whether it also trusts the agents' keys under the same home; then the
            // agent's public key is added to trusted-keys as the README says, and the store must be clean
            Command untrusted = run(launcher, env, verifyArgs(cc, null));
            Path trusted = home.resolve("trusted-keys");
            Files.createDirectories(trusted);
            Files.copy(home.resolve("agents").resolve(HOST).resolve("keys").resolve("host-ed25519.pub"), trusted.resolve(HOST + ".pub"));
            Command whole = run(launcher, env, verifyArgs(cc, null));
            Command one = run(launcher, env, verifyArgs(cc, image));

            System.out.printf("%n=== soak summary (%s, load average at end %s) ===%n", Instant.now(), loadavg());
            int expected = (int) (minutes * 60 / interval);
            System.out.printf("snapshots: %d completed, %d failed, %d other (timed out or unanswered) of %d requested; %.0f expected"
                    + " at one per %d s%n", last.snapshotsCompleted(), last.snapshotsFailed(), last.snapshotsOther(), requests.size(),
                    (double) expected, interval);
            requests.forEach((id, state) -> {
                if (!state.startsWith("COMPLETED")) System.out.println("  request " + id + ": " + state);
            });
            System.out.printf("images: %d COMPLETE at the end (keep last %d; at most %d at any sample), %d expired%n",
                    last.completeImages(), keepLast, maxComplete, last.expiredImages());
            System.out.printf("store: %.1f MiB at the first sample, %.1f MiB at most, %.1f MiB at the end%n",
                    SoakSample.mib(samples.get(0).storeBytes()),
                    SoakSample.mib(samples.stream().mapToLong(SoakSample::storeBytes).max().orElse(0)), SoakSample.mib(last.storeBytes()));
            StringBuilder overTime = new StringBuilder("store over time (MiB):");
            double step = minutes >= 15 ? 5 : 1;
            for (double m = 0; m <= minutes + 0.5; m += step) {
                final double at = m;
                SoakSample near = samples.stream().min(java.util.Comparator.comparingDouble(x -> Math.abs(x.minutes() - at))).get();
                overTime.append(String.format(" %.0f min %.1f,", near.minutes(), SoakSample.mib(near.storeBytes())));
            }
            System.out.println(overTime.substring(0, overTime.length() - 1));
            StringBuilder rssOverTime = new StringBuilder("agent RSS over time (MiB):");
            for (double m = 0; m <= minutes + 0.5; m += step) {
                final double at = m;
                SoakSample near = samples.stream().min(java.util.Comparator.comparingDouble(x -> Math.abs(x.minutes() - at))).get();
                rssOverTime.append(String.format(" %.0f min %.1f,", near.minutes(), SoakSample.mib(near.agent().rssBytes())));
            }
            System.out.println(rssOverTime.substring(0, rssOverTime.length() - 1));
            System.out.printf("catalog GC: %d runs (%d failed), %d manifests deleted, %.1f MiB freed%n", last.gcRuns(), last.gcFailed(),
                    last.gcManifestsDeleted(), SoakSample.mib(last.gcBytesFreed()));
            List<MemoryTrend> trends = List.of(
                    MemoryTrend.of("agent heap after GC", samples, x -> x.agent().heapUsedBytes(), 0.10, 4L << 20),
                    MemoryTrend.of("agent RSS", samples, x -> x.agent().rssBytes(), 0.05, 16L << 20),
                    MemoryTrend.of("agent metaspace", samples, x -> x.agent().metaspaceBytes(), 0.10, 4L << 20));
            trends.forEach(t -> System.out.println(t.line()));
            System.out.printf("agent threads %d -> %d, fds %d -> %d%n", samples.get(0).agent().threads(), last.agent().threads(),
                    samples.get(0).agent().fds(), last.agent().fds());
            boolean continues = restored && firstTick > 0 && firstTick <= killedAt + 100 && firstTick > killedAt - 6000;
            System.out.printf("restore of the newest image %s: %s in %.1f s; killed at tick %d, restored copy went on at tick %d: %s%n",
                    image.substring(0, 12), r.path("state").asText(), restoreSeconds, killedAt, firstTick,
                    continues ? "continues" : "DOES NOT CONTINUE");
            boolean memoryOk = verifyLine.contains(" ok ");
            System.out.println("restored fixture's own check: " + verifyLine);
            System.out.println("cryostash verify (store), agent key not in trusted-keys: exit " + untrusted.exit() + ": "
                    + untrusted.lastLine() + (untrusted.output().contains("untrusted key") ? " (signed by untrusted key)" : ""));
            System.out.println("cryostash verify (store): exit " + whole.exit() + ": " + whole.lastLine());
            System.out.println("cryostash verify " + image.substring(0, 12) + ": exit " + one.exit() + ": " + one.lastLine());
            boolean retentionOk = last.expiredImages() > 0 && last.completeImages() <= keepLast + 60 / interval + 1;
            boolean gcOk = last.gcRuns() > 0 && last.gcFailed() == 0 && last.gcBytesFreed() > 0;
            boolean snapshotsOk = last.snapshotsFailed() == 0 && last.snapshotsCompleted() > 0;
            boolean memoryFlat = trends.get(0).flat() && trends.get(1).flat();
            pass = snapshotsOk && retentionOk && gcOk && continues && memoryOk && whole.exit() == 0 && one.exit() == 0 && memoryFlat;
            System.out.printf("verdict: %s (snapshots %s, retention %s, gc %s, restore %s, fixture memory %s, store %s, agent memory %s)%n",
                    pass ? "PASS" : "FAIL", ok(snapshotsOk), ok(retentionOk), ok(gcOk), ok(continues), ok(memoryOk),
                    ok(whole.exit() == 0 && one.exit() == 0), memoryFlat ? "flat" : "GROWS");
            System.out.println("logs: " + work);
        } finally {
            stopAll(daemons, fixtures);
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        System.exit(pass ? 0 : 1);
    }

    private static String ok(boolean b) {
        return b ? "ok" : "FAILED";
    }

    private static SoakSample sample(CatalogClient api, long job, long agentPid, Path s3, Map<String, String> requests, long t0)
            throws IOException, InterruptedException {
        double minutes = (System.nanoTime() - t0) / 60e9;
        AgentMemory mem = AgentMemory.of(agentPid);
        long complete = count(api, "COMPLETE");
        long expired = count(api, "EXPIRED");
        int gcRuns = 0;
        int gcFailed = 0;
        long freed = 0;
        int manifests = 0;
        for (JsonNode run : api.get("/api/gc/runs?limit=500")) {
            gcRuns++;
            if (run.path("state").asText().contains("FAIL")) gcFailed++;
            freed += run.path("bytesFreed").asLong();
            manifests += run.path("manifestsDeleted").asInt();
        }
        for (JsonNode req : api.get("/api/jobs/" + job + "/snapshots?size=500")) {
            String state = req.path("state").asText();
            if (!req.path("error").isNull() && !req.path("error").asText().isEmpty()) state += ": " + req.path("error").asText();
            requests.put(req.path("id").asText(), state);
        }
        int completed = 0;
        int failed = 0;
        int other = 0;
        for (String state : requests.values()) {
            if (state.startsWith("COMPLETED")) completed++;
            else if (state.startsWith("FAILED")) failed++;
            else if (!state.startsWith("REQUESTED")) other++;
        }
        return new SoakSample(minutes, mem, complete, expired, bytesUnder(s3), gcRuns, gcFailed, freed, manifests, completed, failed,
                other, loadavg());
    }

    /**
     * The job's images in a state. A listing counts exactly only up to ten pages past the one asked
     * for (with size=1 that is 10: the first version of this bench read every count as at most 10),
     * so ask for pages of 500: exact up to 5,000, a lower bound beyond (a soak of 14 h).
     */
    private static long count(CatalogClient api, String state) {
        return api.get("/api/images?job=" + JOB + "&state=" + state + "&size=500&sort=capturedAt&dir=desc").path("total").asLong();
    }

    private static long bytesUnder(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException gone) {
                    return 0; // deleted by GC while we walked
                }
            }).sum();
        } catch (java.io.UncheckedIOException racedWithGc) {
            return bytesUnder(dir);
        }
    }

    private static String[] verifyArgs(ClientConfig cc, String image) {
        List<String> a = new ArrayList<>(List.of("verify"));
        if (image != null) a.add(image);
        a.addAll(List.of("--store", cc.get(ClientConfig.STORE), "--s3-endpoint", cc.get(ClientConfig.S3_ENDPOINT),
                "--s3-region", cc.get(ClientConfig.S3_REGION), "--s3-access-key", cc.get(ClientConfig.S3_ACCESS_KEY),
                "--s3-secret-key", cc.get(ClientConfig.S3_SECRET_KEY)));
        return a.toArray(String[]::new);
    }

    record Command(int exit, String output) {
        String lastLine() {
            String[] lines = output.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    private static Command run(Path launcher, Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        if (p.exitValue() != 0) out.lines().limit(6).forEach(l -> System.out.println("  " + l));
        return new Command(p.exitValue(), out);
    }

    private static Process start(Path launcher, Map<String, String> env, Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** The agent first, then the stack (its shutdown hook stops the catalog, Kafka, S3); the fixtures by pid. */
    private static void stopAll(List<Process> daemons, List<Long> fixtures) {
        for (int i = daemons.size() - 1; i >= 0; i--) {
            Process p = daemons.get(i);
            p.destroy();
            try {
                if (!p.waitFor(90, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
            }
        }
        daemons.clear();
        for (long pid : fixtures) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        fixtures.clear();
    }

    private static void awaitLine(Path file, String prefix, Process owner, Duration wait) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(file)) {
                for (String l : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                    if (l.startsWith(prefix)) return;
                }
            }
            if (owner != null && !owner.isAlive()) throw new IllegalStateException(file + ": the process exited before \"" + prefix + "\"");
            Thread.sleep(250);
        }
        throw new IllegalStateException("no \"" + prefix + "\" in " + file + " within " + wait);
    }

    private static void awaitHost(CatalogClient api, String host, Process agent) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (api.get("/api/hosts/" + host).path("arch").isTextual()) return;
            } catch (CatalogException notYet) {
                // not enrolled yet
            }
            if (!agent.isAlive()) throw new IllegalStateException("the agent of " + host + " exited");
            Thread.sleep(500);
        }
        throw new IllegalStateException("host " + host + " did not enrol within " + WAIT);
    }

    /** After the schedule is deleted, the request in flight (if any) gets its answer. */
    private static void awaitAnswered(CatalogClient api, long job, Map<String, String> requests) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            boolean open = false;
            for (JsonNode req : api.get("/api/jobs/" + job + "/snapshots?size=5")) {
                open |= "REQUESTED".equals(req.path("state").asText());
            }
            if (!open) return;
            Thread.sleep(1000);
        }
    }

    private static JsonNode awaitRestore(CatalogClient api, String id) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        JsonNode r = api.get("/api/restores/" + id);
        while (System.nanoTime() < deadline) {
            r = api.get("/api/restores/" + id);
            String s = r.path("state").asText();
            if (s.equals("COMPLETED") || s.equals("FAILED") || s.equals("CANCELLED")) return r;
            Thread.sleep(250);
        }
        return r;
    }

    private static List<String> linesAfterRestore(Path out) throws IOException {
        List<String> all = Files.readAllLines(out, StandardCharsets.ISO_8859_1);
        int from = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).startsWith("restore of ")) from = i + 1;
        }
        return all.subList(from, all.size());
    }

    private static long awaitTickAfterRestore(Path out) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (String l : linesAfterRestore(out)) {
                if (l.startsWith("tick ")) return Long.parseLong(l.substring(5).trim());
            }
            Thread.sleep(100);
        }
        return -1;
    }

    private static String awaitVerify(Path out) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            for (String l : linesAfterRestore(out)) {
                if (l.startsWith("verify ")) return l;
            }
            Thread.sleep(200);
        }
        return "(no answer to SIGUSR1 within 120 s)";
    }

    private static long lastTick(Path out) throws IOException {
        List<String> all = Files.readAllLines(out, StandardCharsets.ISO_8859_1);
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).startsWith("tick ")) return Long.parseLong(all.get(i).substring(5).trim());
        }
        return -1;
    }

    private static void awaitGone(int pid) throws InterruptedException {
        for (int i = 0; i < 200 && Files.exists(Path.of("/proc/" + pid)) && !zombie(pid); i++) Thread.sleep(50);
    }

    private static boolean zombie(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
        } catch (IOException gone) {
            return true;
        }
    }

    private static String loadavg() throws IOException {
        String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
        return f[0] + " " + f[1] + " " + f[2];
    }
}
