// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;
import io.cryostash.store.image.ImageStore;

/**
 * Speed as a user sees it (issue 14): the {@code cryostash} command run exactly as typed, a
 * fresh JVM per command, a fresh store for every first capture, against CRIU run interleaved on
 * the same program when a working {@code criu} is given or on the PATH. Then the same captures
 * and restores inside one warm JVM (what an agent daemon sees), side by side.
 *
 * <p>Target: {@code memfill.c}, N MiB of incompressible ("random") or compressible ("text")
 * anonymous memory whose every page it can re-derive: after each restore the benchmark sends
 * SIGUSR1 and waits for the program's own "verify ok" over all its pages; a restore that does
 * not verify stops the benchmark. Before every timed command the VM's free memory is touched
 * again (a few GiB written to and removed from /dev/shm: STACK-NOTES, "Memory-return noise"),
 * so first-touch faults of memory the host took back are not timed.
 *
 * <p>Arguments: {@code [--sizes 64,256,1024] [--kinds random,text] [--runs 3] [--criu PATH|none]
 * [--no-in-jvm] [--no-lazy] [--daemon]} (--daemon: through a running {@code cryostash daemon}). Wall times are of the whole command (fork to exit); CPU is the
 * command's user+system time from {@code /usr/bin/time}. Medians of the runs.
 */
public final class CliBench {
    private static final Pattern FROZEN = Pattern.compile("frozen ([0-9.]+) ms");
    private static final Pattern RUNNING = Pattern.compile("running after ([0-9.]+) ms");
    private static final Pattern RESIDENT = Pattern.compile("resident after ([0-9.]+) ms");

    private final Path cli;
    private final Path work;
    private final Path memfill;
    private final String criu;
    private final Map<String, List<Double>> figures = new LinkedHashMap<>();
    private Process daemon;

    private CliBench(Path cli, Path work, Path memfill, String criu) {
        this.cli = cli;
        this.work = work;
        this.memfill = memfill;
        this.criu = criu;
    }

    /** One timed command: wall and CPU seconds, its output. */
    record Run(double wall, double cpu, String out, String err) {
    }

    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]);
        Path cli = Path.of(args[1]);
        List<Integer> sizes = List.of(64, 256, 1024);
        List<String> kinds = List.of("random", "text");
        int runs = 3;
        String criuArg = null;
        boolean inJvm = true;
        boolean lazy = true;
        boolean daemon = false;
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--kinds" -> kinds = List.of(args[++i].split(","));
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--criu" -> criuArg = args[++i];
                case "--no-in-jvm" -> inJvm = false;
                case "--no-lazy" -> lazy = false;
                case "--daemon" -> daemon = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path work = Files.createTempDirectory("cryostash-clibench-");
        Path memfill = work.resolve("memfill");
        CheckpointBench.exec("gcc", "-O2", "-o", memfill.toString(), cdir.resolve("memfill.c").toString());
        System.out.println("# cryostash CLI benchmark, " + java.time.Instant.now() + ", " + machine());
        System.out.println("# load average at start: " + loadAverage());
        String criu = findCriu(criuArg, work, memfill);
        CliBench b = new CliBench(cli, work, memfill, criu);
        try {
            if (daemon) {
                b.startDaemon();
            }
            b.idleCommands(runs);
            for (int mib : sizes) {
                for (String kind : kinds) {
                    b.sizeAndKind(mib, kind, runs);
                }
            }
            if (lazy) {
                for (int mib : sizes) {
                    b.lazyRestore(mib, runs);
                }
            }
            System.out.println("# load average after the CLI runs: " + loadAverage());
            b.printCliTable(sizes, kinds);
            if (inJvm) {
                b.inJvm(sizes, kinds, runs);
            }
            System.out.println("# load average at the end: " + loadAverage());
        } finally {
            b.stopDaemon();
            CheckpointBench.deleteTree(work);
        }
    }

    /**
     * {@code --daemon}: the commands go through {@code cryostash daemon} (started here with the
     * commands' CRYOSTASH_HOME, so the launcher finds its socket), once it has trained itself as
     * it does when it starts. CPU figures are then the client's plus the daemon's over the
     * command (its /proc stat before and after).
     */
    private void startDaemon() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cli.toString(), "daemon").redirectErrorStream(true)
                .redirectOutput(work.resolve("daemon.log").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("CRYOSTASH_HOME", work.resolve("home").toString());
        daemon = pb.start();
        Path socket = work.resolve("home").resolve("run").resolve("cli.sock");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!Files.exists(socket)) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("cryostash daemon did not start: " + Files.readString(work.resolve("daemon.log")));
            }
            Thread.sleep(50);
        }
        // the daemon trains itself when it starts (a few seconds): what a user's later commands meet
        String trained = "";
        while (!trained.contains("trained on") && !trained.contains("training")) {
            if (!daemon.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("cryostash daemon did not finish training: " + trained);
            }
            Thread.sleep(100);
            trained = Files.readString(work.resolve("daemon.log"));
        }
        String line = trained.lines().filter(l -> l.contains("train")).findFirst().orElse("");
        System.out.println("# commands through cryostash daemon (pid " + daemon.pid() + "): "
                + line.substring(line.indexOf(" - ") + 3));
    }

    private void stopDaemon() throws InterruptedException {
        if (daemon != null) {
            daemon.destroy();
            daemon.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** The daemon's user + system CPU seconds so far (0 without a daemon). */
    private double daemonCpu() throws IOException {
        if (daemon == null) {
            return 0;
        }
        String stat = Files.readString(Path.of("/proc", Long.toString(daemon.pid()), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (USER_HZ 100)
    }

    // ---------------------------------------------------------------- CLI runs

    private void idleCommands(int runs) throws Exception {
        cryostash("--help"); // page cache: the jars, the CDS archive
        for (int r = 0; r < runs; r++) {
            warmUpMemory();
            record("help wall", cryostash("--help").wall());
            Path empty = work.resolve("empty-" + r);
            record("images wall", cryostash("images", "--store", empty.toString()).wall());
        }
    }

    private void sizeAndKind(int mib, String kind, int runs) throws Exception {
        String key = mib + " MiB " + kind;
        for (int r = 0; r < runs; r++) {
            // Cryostash, --kill, fresh store
            Path store = freshDir("store");
            Target t = Target.start(memfill, work, mib, kind, r);
            warmUpMemory();
            Run cp = cryostash("checkpoint", Integer.toString(t.pid), "--kill", "--store", store.toString());
            String id = lastLine(cp.out);
            t.awaitGone();
            record(key + " checkpoint wall", cp.wall);
            record(key + " checkpoint cpu", cp.cpu);
            record(key + " frozen", number(FROZEN, cp.err) / 1e3);
            warmUpMemory();
            Run rs = cryostash("restore", id, "--store", store.toString());
            int pid = Integer.parseInt(lastLine(rs.out));
            record(key + " restore wall", rs.wall);
            record(key + " restore cpu", rs.cpu);
            t.verify(pid, "cryostash restore of " + key);
            kill(pid);
            CheckpointBench.deleteTree(store);

            // Cryostash, leave running, first capture into a fresh store
            store = freshDir("store");
            t = Target.start(memfill, work, mib, kind, r);
            warmUpMemory();
            Run lr = cryostash("checkpoint", Integer.toString(t.pid), "--store", store.toString());
            record(key + " leave-running frozen", number(FROZEN, lr.err) / 1e3);
            record(key + " leave-running wall", lr.wall);
            kill(t.pid);
            CheckpointBench.deleteTree(store);

            if (criu != null) {
                criuRound(key, mib, kind, r);
            }
        }
    }

    private void criuRound(String key, int mib, String kind, int r) throws Exception {
        Path dir = freshDir("criu");
        Target t = Target.start(memfill, work, mib, kind, r);
        warmUpMemory();
        Run dump = timed(List.of(criu, "dump", "-t", Integer.toString(t.pid), "-D", dir.toString(), "-o", "dump.log"));
        Run sync = timed(syncCommand(dir));
        t.awaitGone();
        record(key + " criu dump wall", dump.wall);
        record(key + " criu dump+fsync wall", dump.wall + sync.wall);
        warmUpMemory();
        Run rs = timed(List.of(criu, "restore", "-D", dir.toString(), "-d", "-o", "restore.log"));
        record(key + " criu restore wall", rs.wall);
        t.verify(t.pid, "criu restore of " + key);
        kill(t.pid);
        CheckpointBench.deleteTree(dir);

        dir = freshDir("criu");
        t = Target.start(memfill, work, mib, kind, r);
        warmUpMemory();
        Run lr = timed(List.of(criu, "dump", "--leave-running", "-t", Integer.toString(t.pid), "-D", dir.toString(),
                "-o", "dump.log"));
        record(key + " criu leave-running wall", lr.wall);
        kill(t.pid);
        CheckpointBench.deleteTree(dir);
    }

    /**
     * restore --lazy of a random-filled image whose program reads all of its memory over and
     * over: time to running and to fully resident as the command reports them, and how long the
     * program's first pass that started after the restore took against its passes once all was
     * in.
     */
    private void lazyRestore(int mib, int runs) throws Exception {
        String key = mib + " MiB lazy";
        for (int r = 0; r < runs; r++) {
            Path store = freshDir("store");
            Target t = Target.start(memfill, work, mib, "walk", r);
            Run cp = cryostash("checkpoint", Integer.toString(t.pid), "--kill", "--store", store.toString());
            String id = lastLine(cp.out);
            t.awaitGone();
            warmUpMemory();
            double started = System.currentTimeMillis() / 1e3;
            double[] pidPrinted = {Double.NaN};
            Run rs = lazyRestoreCommand(id, store, pidPrinted);
            double ended = System.currentTimeMillis() / 1e3;
            record(key + ": to running, from the command's start (its pid printed)", pidPrinted[0]);
            int pid = Integer.parseInt(lastLine(rs.out));
            record(key + ": to running (restore's own clock)", number(RUNNING, rs.err) / 1e3);
            record(key + ": to fully resident (restore's own clock)", number(RESIDENT, rs.err) / 1e3);
            record(key + ": restore command wall", rs.wall);
            double[] during = t.firstWalkFrom(started);
            double[] after = t.firstWalkFrom(ended + 0.05);
            record(key + ": first memory walk started during the restore", during[0]);
            record(key + ": memory walk once resident", after[0]);
            record(key + ": walk slowdown (during / resident)", during[0] / after[0]);
            t.verify(pid, "lazy restore of " + key);
            kill(pid);
            CheckpointBench.deleteTree(store);
        }
    }

    // ---------------------------------------------------------------- in one JVM

    private void inJvm(List<Integer> sizes, List<String> kinds, int runs) throws Exception {
        System.out.println();
        System.out.println("## The same inside one warm JVM (what an agent daemon sees), " + java.time.Instant.now()
                + ", load " + loadAverage());
        System.out.println();
        System.out.println("| memory | freeze, --kill | checkpoint --kill | restore | leave-running freeze | leave-running"
                + " checkpoint |");
        System.out.println("| --- | --- | --- | --- | --- | --- |");
        Path home = work.resolve("jvm-store-state");
        for (int mib : sizes) {
            for (String kind : kinds) {
                List<Double> freeze = new ArrayList<>();
                List<Double> wall = new ArrayList<>();
                List<Double> restore = new ArrayList<>();
                List<Double> lrFreeze = new ArrayList<>();
                List<Double> lrWall = new ArrayList<>();
                Path storeDir = freshDir("jvm-store");
                try (ImageStore store = ImageStore.local(storeDir)) {
                    Capturer capturer = new Capturer(store);
                    Restorer restorer = new Restorer(store);
                    for (int r = -1; r < runs; r++) { // run -1 warms the JIT and the copy buffers up
                        Target t = Target.start(memfill, work, mib, kind, 100 + r);
                        warmUpMemory();
                        CaptureResult c = capturer.capture(t.pid, new CaptureOptions(true));
                        t.awaitGone();
                        warmUpMemory();
                        RestoreResult rr = restorer.restore(c.image().id(), RestoreOptions.defaults());
                        t.verify(rr.pid(), "in-JVM restore of " + mib + " MiB " + kind);
                        kill(rr.pid());
                        Target l = Target.start(memfill, work, mib, kind, 200 + r);
                        warmUpMemory();
                        CaptureResult lc = capturer.capture(l.pid, CaptureOptions.leaveRunning());
                        kill(l.pid);
                        if (r >= 0) {
                            freeze.add(c.freezeNanos() / 1e9);
                            wall.add(c.totalNanos() / 1e9);
                            restore.add(rr.nanos() / 1e9);
                            lrFreeze.add(lc.freezeNanos() / 1e9);
                            lrWall.add(lc.totalNanos() / 1e9);
                        }
                    }
                }
                CheckpointBench.deleteTree(storeDir);
                System.out.printf("| %d MiB %s | %s | %s | %s | %s | %s |%n", mib, kind, s(median(freeze)),
                        s(median(wall)), s(median(restore)), s(median(lrFreeze)), s(median(lrWall)));
            }
        }
        CheckpointBench.deleteTree(home);
    }

    // ---------------------------------------------------------------- output

    private void printCliTable(List<Integer> sizes, List<String> kinds) {
        System.out.println();
        System.out.println("## CLI commands as a user types them (" + (daemon == null ? "fresh JVM per command"
                : "served by a running `cryostash daemon`; CPU = client + daemon") + "), medians of "
                + figures.getOrDefault("help wall", List.of()).size() + " runs");
        System.out.println();
        System.out.printf("`--help`: %s wall; `images` on an empty store: %s wall%n%n", s(median("help wall")),
                s(median("images wall")));
        boolean c = criu != null;
        System.out.println("| memory | checkpoint --kill wall (cpu) | frozen until killed"
                + (c ? " | CRIU dump / + fsync | ratio to dump+fsync" : "")
                + " | restore wall (cpu)" + (c ? " | CRIU restore | ratio" : "")
                + " | leave-running freeze / wall" + (c ? " | CRIU leave-running dump" : "") + " |");
        System.out.println("| --- | --- | ---" + (c ? " | --- | ---" : "") + " | ---" + (c ? " | --- | ---" : "")
                + " | ---" + (c ? " | ---" : "") + " |");
        for (int mib : sizes) {
            for (String kind : kinds) {
                String k = mib + " MiB " + kind;
                StringBuilder row = new StringBuilder("| " + k);
                row.append(" | ").append(s(median(k + " checkpoint wall"))).append(" (")
                        .append(s(median(k + " checkpoint cpu"))).append(")");
                row.append(" | ").append(s(median(k + " frozen")));
                if (c) {
                    row.append(" | ").append(s(median(k + " criu dump wall"))).append(" / ")
                            .append(s(median(k + " criu dump+fsync wall")));
                    row.append(" | ").append(ratio(median(k + " checkpoint wall"), median(k + " criu dump+fsync wall")));
                }
                row.append(" | ").append(s(median(k + " restore wall"))).append(" (")
                        .append(s(median(k + " restore cpu"))).append(")");
                if (c) {
                    row.append(" | ").append(s(median(k + " criu restore wall")));
                    row.append(" | ").append(ratio(median(k + " restore wall"), median(k + " criu restore wall")));
                }
                row.append(" | ").append(s(median(k + " leave-running frozen"))).append(" / ")
                        .append(s(median(k + " leave-running wall")));
                if (c) {
                    row.append(" | ").append(s(median(k + " criu leave-running wall")));
                }
                System.out.println(row.append(" |"));
            }
        }
        if (!c) {
            System.out.println();
            System.out.println("(no working criu: ratios left out; see the note printed at the start)");
        }
        List<String> lazyKeys = figures.keySet().stream().filter(k -> k.contains(" lazy:")).toList();
        if (!lazyKeys.isEmpty()) {
            System.out.println();
            System.out.println("| restore --lazy (random memory) | median |");
            System.out.println("| --- | --- |");
            for (String k : lazyKeys) {
                System.out.println("| " + k + " | " + (k.contains("slowdown") ? String.format("%.1f×", median(k))
                        : s(median(k))) + " |");
            }
        }
        System.out.println();
        System.out.println("All single figures (seconds), in run order:");
        figures.forEach((k, v) -> System.out.println("  " + k + ": " + v.stream()
                .map(x -> k.contains("slowdown") ? String.format("%.1f×", x) : s(x)).toList()));
    }

    private static String s(double seconds) {
        if (Double.isNaN(seconds)) {
            return "—";
        }
        return seconds < 1 ? String.format("%.0f ms", seconds * 1e3) : String.format("%.2f s", seconds);
    }

    private static String ratio(double ours, double theirs) {
        return Double.isNaN(ours) || Double.isNaN(theirs) ? "—" : String.format("%.2f×", ours / theirs);
    }

    private void record(String key, double value) {
        figures.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }

    private double median(String key) {
        return median(figures.getOrDefault(key, List.of()));
    }

    private static double median(List<Double> v) {
        if (v.isEmpty()) {
            return Double.NaN;
        }
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    // ---------------------------------------------------------------- helpers

    private Run cryostash(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(cli.toString());
        cmd.addAll(List.of(args));
        double before = daemonCpu();
        Run r = timed(cmd);
        return daemon == null ? r : new Run(r.wall(), r.cpu() + daemonCpu() - before, r.out(), r.err());
    }

    /**
     * {@code restore --lazy} as typed, its standard output read as it comes: the pid is printed
     * once the process runs, so the time from starting the command to that line is its "running
     * within N ms of the command" (the restore's own clock starts later, after the JVM or the
     * daemon's client, the command line and the store are up).
     */
    private Run lazyRestoreCommand(String id, Path store, double[] pidPrinted) throws Exception {
        Path err = work.resolve("cmd.err");
        ProcessBuilder pb = new ProcessBuilder(cli.toString(), "restore", "--lazy", id, "--store", store.toString())
                .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("CRYOSTASH_HOME", work.resolve("home").toString());
        long t0 = System.nanoTime();
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) {
                if (out.length() == 0) {
                    pidPrinted[0] = (System.nanoTime() - t0) / 1e9;
                }
                out.append(l).append('\n');
            }
        }
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("restore --lazy " + id + " failed: " + Files.readString(err));
        }
        return new Run((System.nanoTime() - t0) / 1e9, Double.NaN, out.toString(), Files.readString(err));
    }

    /** Runs a command under /usr/bin/time; fails the benchmark when it fails. */
    private Run timed(List<String> cmd) throws Exception {
        Path times = work.resolve("time.txt");
        Path out = work.resolve("cmd.out");
        Path err = work.resolve("cmd.err");
        List<String> full = new ArrayList<>(List.of("/usr/bin/time", "-f", "%e %U %S", "-o", times.toString()));
        full.addAll(cmd);
        ProcessBuilder pb = new ProcessBuilder(full).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("CRYOSTASH_HOME", work.resolve("home").toString());
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + Files.readString(err));
        }
        String[] t = Files.readString(times).trim().split("\\s+");
        int n = t.length;
        return new Run(Double.parseDouble(t[n - 3]), Double.parseDouble(t[n - 2]) + Double.parseDouble(t[n - 1]),
                Files.readString(out), Files.readString(err));
    }

    private static List<String> syncCommand(Path dir) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("sync"));
        try (var s = Files.list(dir)) {
            s.filter(Files::isRegularFile).forEach(p -> cmd.add(p.toString()));
        }
        cmd.add(dir.toString());
        return cmd;
    }

    private Path freshDir(String prefix) throws IOException {
        return Files.createTempDirectory(work, prefix + "-");
    }

    /**
     * The VM hands memory freed for a few seconds back to its host, and the first touch of such
     * memory is slow; write and remove 3 GiB on tmpfs so that the memory a command is about to
     * use is backed again (STACK-NOTES).
     */
    static void warmUpMemory() throws IOException, InterruptedException {
        Path f = Path.of("/dev/shm/cryostash-bench-warmup");
        CheckpointBench.exec("dd", "if=/dev/zero", "of=" + f, "bs=4M", "count=768", "status=none");
        Files.deleteIfExists(f);
    }

    private static String lastLine(String s) {
        String[] lines = s.trim().split("\n");
        return lines[lines.length - 1].trim();
    }

    private static double number(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static void kill(int pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        try {
            new ProcessBuilder("kill", "-9", Integer.toString(pid)).start().waitFor();
        } catch (IOException | InterruptedException ignored) {
            // gone already
        }
    }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static String machine() throws IOException {
        String model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        return Runtime.getRuntime().availableProcessors() + " cores (" + model + "), kernel "
                + System.getProperty("os.version") + ", JDK " + System.getProperty("java.version");
    }

    /**
     * A criu that can dump and restore here, or null. Debian 12's criu 3.17 fails on kernels
     * from 6.13 on ("Unexpected rt vDSO area bounds": the kernel split [vvar] into [vvar] and
     * [vvar_vclock]; fixed in CRIU 4.1), so it is tried on a small program first.
     */
    private static String findCriu(String given, Path work, Path memfill) throws Exception {
        if ("none".equals(given)) {
            System.out.println("# criu: not used (--criu none)");
            return null;
        }
        String criu = given;
        if (criu == null) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
                if (Files.isExecutable(Path.of(dir, "criu"))) {
                    criu = Path.of(dir, "criu").toString();
                    break;
                }
            }
        }
        if (criu == null) {
            System.out.println("# criu: none on the PATH (give one with --criu PATH); ratios left out");
            return null;
        }
        Path dir = Files.createTempDirectory(work, "criu-probe-");
        Target t = Target.start(memfill, work, 4, "text", 0);
        try {
            Process p = new ProcessBuilder(criu, "dump", "-t", Integer.toString(t.pid), "-D", dir.toString(),
                    "--leave-running").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                System.out.println("# criu: " + criu + " cannot dump on this machine, so no CRIU figures: "
                        + out.lines().filter(l -> l.contains("Error")).findFirst().orElse(out.trim()));
                return null;
            }
            String version = new String(new ProcessBuilder(criu, "--version").start().getInputStream().readAllBytes(),
                    StandardCharsets.UTF_8).lines().findFirst().orElse("?");
            System.out.println("# criu: " + criu + " (" + version + ")");
            return criu;
        } finally {
            kill(t.pid);
            CheckpointBench.deleteTree(dir);
        }
    }

    /** A bench program started detached, its output appended to a file. */
    static final class Target {
        final int pid;
        final Path out;

        private Target(int pid, Path out) {
            this.pid = pid;
            this.out = out;
        }

        static Target start(Path program, Path work, int mib, String kind, int seed) throws Exception {
            Path out = Files.createTempFile(work, "target-", ".out");
            int pid = CheckpointBench.startDetached(program + " " + mib + " " + kind + " " + seed + " >> " + out);
            CheckpointBench.awaitReady(out);
            return new Target(pid, out);
        }

        void awaitGone() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.exists(Path.of("/proc/" + pid)) && !zombie() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
        }

        private boolean zombie() {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                return stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
            } catch (IOException gone) {
                return true;
            }
        }

        /** Asks the (restored) program to check every page; fails the benchmark unless it says ok. */
        void verify(int restored, String what) throws Exception {
            long before = Files.readAllLines(out).stream().filter(l -> l.startsWith("verify")).count();
            new ProcessBuilder("kill", "-USR1", Integer.toString(restored)).start().waitFor();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (System.nanoTime() < deadline) {
                List<String> v = Files.readAllLines(out).stream().filter(l -> l.startsWith("verify")).toList();
                if (v.size() > before) {
                    String line = v.get(v.size() - 1);
                    if (!line.startsWith("verify ok")) {
                        throw new IllegalStateException(what + ": the restored program says " + line);
                    }
                    return;
                }
                Thread.sleep(20);
            }
            throw new IllegalStateException(what + ": the restored program did not answer the verify request");
        }

        /** {seconds, start} of the first "walk" pass that started at or after {@code from} (epoch seconds). */
        double[] firstWalkFrom(double from) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (System.nanoTime() < deadline) {
                for (String l : Files.readAllLines(out)) {
                    String[] w = l.split(" ");
                    if (w.length == 3 && w[0].equals("walk") && Double.parseDouble(w[2]) >= from) {
                        return new double[] {Double.parseDouble(w[1]), Double.parseDouble(w[2])};
                    }
                }
                Thread.sleep(20);
            }
            throw new IllegalStateException("pid " + pid + " reported no memory walk after " + from);
        }
    }
}
