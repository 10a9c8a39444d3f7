// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.image.PageSource;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.repository.StoreSettings;

/**
 * The agent's restore through the S3 path alone, without the pipeline around it: host A captures
 * memhog of N MiB into {@code s3://cryostash/images} on an in-process S3 server (the server of
 * {@code cryostash up}: S3Proxy over filesystem-nio2, signatures checked), host B (its own store
 * instance and keys, trusting A's key as the catalog would make it) then, per run, reads and
 * verifies the image ({@code ImageStore.read}), reads all its pages through the store without
 * writing them anywhere, and restores it (a new pid, killed afterwards), each phase timed, with
 * the S3 requests each run sends. Warm in-process loop, for profiling the read path.
 * Usage: S3RestoreBench C_DIR [MiB] [runs] (default 64 10)
 */
public final class S3RestoreBench {
    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]);
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Path work = Files.createTempDirectory("s3-restore-bench-");
        Path hog = work.resolve("memhog");
        CheckpointBench.exec("gcc", "-O2", "-o", hog.toString(), cdir.resolve("memhog.c").toString());
        CheckpointBench.warmUpMemory(work);
        Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
        System.out.printf("S3 restore bench, %d MiB, load average %s%n", mib, Files.readString(Path.of("/proc/loadavg")).trim());
        try (S3Server s3 = new S3Server(work.resolve("s3"), requests);
             ImageStore a = open(s3, work.resolve("home-a"), "bench-a");
             ImageStore b = open(s3, trusting(work.resolve("home-b"), work.resolve("home-a")), "bench-b")) {
            Path out = work.resolve("hog.out");
            int pid = CheckpointBench.startDetached(hog + " " + mib + " 10 > " + out);
            CheckpointBench.awaitReady(out);
            CaptureResult c = new Capturer(a).capture(pid, CaptureOptions.leaveRunning());
            CheckpointBench.exec("kill", "-9", Integer.toString(pid));
            String id = c.image().id();
            Restorer restorer = new Restorer(b);
            System.out.println("| run | read + verify image | pages read (no writes) | restore | S3 requests of the run |");
            System.out.println("| --- | --- | --- | --- | --- |");
            List<double[]> all = new ArrayList<>();
            Map<String, Long> cpuRead = new TreeMap<>();
            Map<String, Long> cpuPages = new TreeMap<>();
            Map<String, Long> cpuRestore = new TreeMap<>();
            for (int r = 0; r <= runs; r++) {
                requests.clear();
                Map<String, Long> c0 = threadCpu();
                long t0 = System.nanoTime();
                ProcessImage im = b.read(id);
                long t1 = System.nanoTime();
                Map<String, Long> c1 = threadCpu();
                long bytes = readPages(b, im);
                long t2 = System.nanoTime();
                Map<String, Long> c2 = threadCpu();
                RestoreResult rr = restorer.restore(id, CheckpointBench.BESIDE_ORIGINAL);
                long t3 = System.nanoTime();
                Map<String, Long> c3 = threadCpu();
                if (r > 0) {
                    addDelta(cpuRead, c0, c1);
                    addDelta(cpuPages, c1, c2);
                    addDelta(cpuRestore, c2, c3);
                }
                CheckpointBench.exec("kill", "-9", Integer.toString(rr.pid()));
                double[] row = {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6};
                if (r > 0) all.add(row);
                System.out.printf("| %s | %.1f ms | %.1f ms (%d MiB) | %.1f ms | %s |%n", r == 0 ? "warm-up" : r, row[0], row[1],
                        bytes >> 20, row[2], new TreeMap<>(requests));
            }
            System.out.printf("| median | %.1f ms | %.1f ms | %.1f ms | |%n", median(all, 0), median(all, 1), median(all, 2));
            printCpu("read + verify image", cpuRead, runs);
            printCpu("pages read", cpuPages, runs);
            printCpu("restore", cpuRestore, runs);
        }
        System.out.printf("load average %s%n", Files.readString(Path.of("/proc/loadavg")).trim());
    }

    private static ImageStore open(S3Server s3, Path home, String host) {
        return ImageStore.open(new StoreSettings("s3://cryostash/images", s3.overrides(), Map.of(), null, home.resolve("keys"),
                home.resolve("trusted-keys"), home.resolve("cache"), host, ChunkStore.Options.defaults()));
    }

    /** Host B's home, trusting host A's key (as the catalog's vouching makes an agent do). */
    private static Path trusting(Path home, Path other) throws java.io.IOException {
        Files.createDirectories(home.resolve("trusted-keys"));
        Files.copy(other.resolve("keys").resolve(io.cryostash.store.sign.HostKeys.PUBLIC_FILE),
                home.resolve("trusted-keys").resolve("a.pub"));
        return home;
    }

    private static long readPages(ImageStore store, ProcessImage im) {
        LongAdder n = new LongAdder();
        try (PageSource pages = store.pages()) {
            for (MemoryArea area : im.areas()) {
                pages.forEachRun(area, (first, buf) -> n.add(buf.remaining()));
            }
        }
        return n.sum();
    }

    /** CPU time of this JVM's threads so far, in ns, by thread name with its digits dropped (/proc/self/task). */
    static Map<String, Long> threadCpu() throws java.io.IOException {
        Map<String, Long> out = new TreeMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "#");
                    long ns = Long.parseLong(Files.readString(t.resolve("schedstat")).trim().split(" ")[0]);
                    out.merge(name, ns, Long::sum);
                } catch (java.io.IOException | RuntimeException gone) {
                    // the thread ended meanwhile
                }
            }
        }
        // the husk and tracer helper are other processes: count this JVM's children too
        out.put("(children of this JVM)", childrenCpu());
        return out;
    }

    private static long childrenCpu() throws java.io.IOException {
        String[] f = Files.readString(Path.of("/proc/self/stat")).split("\\) ")[1].split(" ");
        return (Long.parseLong(f[14]) + Long.parseLong(f[15])) * 10_000_000L; // cutime + cstime, in ticks of 10 ms
    }

    private static void addDelta(Map<String, Long> sum, Map<String, Long> before, Map<String, Long> after) {
        after.forEach((k, v) -> sum.merge(k, v - before.getOrDefault(k, 0L), Long::sum));
    }

    private static void printCpu(String phase, Map<String, Long> cpu, int runs) {
        long total = cpu.values().stream().mapToLong(Long::longValue).sum();
        StringBuilder sb = new StringBuilder();
        cpu.entrySet().stream().filter(e -> e.getValue() >= 1_000_000L * runs)
                .sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
                .forEach(e -> sb.append(String.format(" %s %.0f,", e.getKey(), e.getValue() / 1e6 / runs)));
        System.out.printf("CPU per run, %s: %.0f ms:%s%n", phase, total / 1e6 / runs, sb);
    }

    private static double median(List<double[]> rows, int col) {
        double[] v = rows.stream().mapToDouble(r -> r[col]).sorted().toArray();
        return v[v.length / 2];
    }
}
