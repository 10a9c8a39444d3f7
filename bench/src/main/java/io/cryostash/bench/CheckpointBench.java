// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.cryostash.store.image.ImageStore;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;

/**
 * Freeze time, checkpoint wall time, image bytes and restore wall time for processes with
 * 64 MiB, 256 MiB and 1 GiB of touched memory (medians of warm runs, leave-running captures;
 * each restore runs beside the original and is killed afterwards).
 */
public final class CheckpointBench {
    private static final int RUNS = 5;
    /** Restores run beside the still-running original, so under any free pid (single-threaded targets). */
    static final RestoreOptions BESIDE_ORIGINAL = new RestoreOptions(false, Path.of("/tmp"),
            RestoreOptions.PidMode.NEW_PID);

    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]);
        List<Integer> sizes = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            sizes.add(Integer.parseInt(args[i]));
        }
        if (sizes.isEmpty()) {
            sizes = List.of(64, 256, 1024);
        }
        Path work = Files.createTempDirectory("cryostash-bench-");
        Path hog = work.resolve("memhog");
        exec("gcc", "-O2", "-o", hog.toString(), cdir.resolve("memhog.c").toString());
        warmUpMemory(work);
        System.out.println("| touched memory | freeze (median) | checkpoint wall | store bytes after all runs | restore wall |");
        System.out.println("| --- | --- | --- | --- | --- |");
        for (int mib : sizes) {
            Path storeDir = work.resolve("store-" + mib);
            ImageStore store = ImageStore.local(storeDir);
            Path out = work.resolve("hog-" + mib + ".out");
            int pid = startDetached(hog + " " + mib + " > " + out);
            awaitReady(out);
            Capturer capturer = new Capturer(store);
            Restorer restorer = new Restorer(store);
            capturer.capture(pid, CaptureOptions.leaveRunning()); // warm-up: JIT, page cache
            double[] freeze = new double[RUNS];
            double[] wall = new double[RUNS];
            double[] restore = new double[RUNS];
            long bytes = 0;
            for (int r = 0; r < RUNS; r++) {
                CaptureResult c = capturer.capture(pid, CaptureOptions.leaveRunning());
                freeze[r] = c.freezeNanos() / 1e6;
                wall[r] = c.totalNanos() / 1e6;
                bytes = sizeOnDisk(storeDir);
                RestoreResult rr = restorer.restore(c.image().id(), CheckpointBench.BESIDE_ORIGINAL);
                restore[r] = rr.nanos() / 1e6;
                exec("kill", "-9", Integer.toString(rr.pid()));
            }
            exec("kill", "-9", Integer.toString(pid));
            System.out.printf("| %d MiB | %.1f ms | %.1f ms | %d | %.1f ms |%n", mib, median(freeze), median(wall),
                    bytes, median(restore));
            System.out.flush();
            store.close();
            deleteTree(storeDir);
        }
        deleteTree(work);
    }

    /** The VM hands idle memory back to its host; touch a few GiB first (see STACK-NOTES). */
    static void warmUpMemory(Path work) {
        byte[][] hold = new byte[24][];
        for (int i = 0; i < hold.length; i++) {
            hold[i] = new byte[128 << 20];
            Arrays.fill(hold[i], (byte) i);
        }
    }

    /** The whole store: later runs dedup against earlier ones, so this is what all runs cost together. */
    static long sizeOnDisk(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static int startDetached(String command) throws IOException, InterruptedException {
        Process sh = new ProcessBuilder("/bin/sh", "-c", "setsid " + command + " 2>&1 </dev/null & echo $!").start();
        String pid = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        sh.waitFor();
        return Integer.parseInt(pid);
    }

    static void awaitReady(Path out) throws IOException, InterruptedException {
        awaitLine(out, "ready");
    }

    static void awaitLine(Path out, String line) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(out) && Files.readAllLines(out).stream()
                    .anyMatch(l -> l.equals(line) || l.startsWith(line + " "))) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("bench target did not print " + line);
    }

    static void exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", cmd));
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(f -> f.toFile().delete());
        }
    }
}
