// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.capture.FreezePhase;
import io.cryostash.capture.FreezePhases;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;

/**
 * Scenario "drift": a process of N MiB rewrites about 1 % of its pages between snapshots; one
 * full snapshot with write tracking, then incremental ones, each against the previous. Reports
 * bytes stored in total against one full image plus the rewritten pages, freeze and wall time per
 * snapshot, and a restore of the last image.
 */
public final class DriftBench {
    private static final int RESTORE_RUNS = 3;

    private static double restoreMillis(ImageStore store, String imageId) throws Exception {
        RestoreResult rr = new Restorer(store).restore(imageId, CheckpointBench.BESIDE_ORIGINAL);
        CheckpointBench.exec("kill", "-9", Integer.toString(rr.pid()));
        return rr.nanos() / 1e6;
    }

    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]);
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int snapshots = args.length > 2 ? Integer.parseInt(args[2]) : 24;
        int chunkPages = args.length > 3 ? Integer.parseInt(args[3]) : AreaChunker.DEFAULT_CHUNK_PAGES;
        int permille = 10;
        Path work = Files.createTempDirectory("cryostash-drift-");
        Path hog = work.resolve("memhog");
        CheckpointBench.exec("gcc", "-O2", "-o", hog.toString(), cdir.resolve("memhog.c").toString());
        Path storeDir = work.resolve("store");
        Path out = work.resolve("hog.out");
        int pid = CheckpointBench.startDetached(hog + " " + mib + " " + permille + " > " + out);
        CheckpointBench.awaitLine(out, "ready");
        try (ImageStore store = ImageStore.local(storeDir)) {
            Capturer capturer = new Capturer(store, new AreaChunker(4096, chunkPages));
            CaptureResult full = capturer.capture(pid, new CaptureOptions(false, null, true));
            long fullBytes = CheckpointBench.sizeOnDisk(storeDir);
            System.out.printf("full snapshot: %d MiB read, frozen %.1f ms, wall %.1f ms, store %d bytes%n",
                    full.memoryBytes() >> 20, full.freezeNanos() / 1e6, full.totalNanos() / 1e6, fullBytes);
            String parent = full.image().id();
            List<double[]> rows = new ArrayList<>();
            List<FreezePhases> phases = new ArrayList<>();
            long before = fullBytes;
            for (int i = 1; i <= snapshots; i++) {
                CheckpointBench.exec("kill", "-USR2", Integer.toString(pid));
                CheckpointBench.awaitLine(out, "drift " + i);
                CaptureResult r = capturer.capture(pid, new CaptureOptions(false, parent, true));
                long now = CheckpointBench.sizeOnDisk(storeDir);
                rows.add(new double[] {r.freezeNanos() / 1e6, r.totalNanos() / 1e6, r.memoryBytes(), now - before});
                System.out.printf("snapshot %2d (%s): read %6d KiB, frozen %7.1f ms, wall %7.1f ms, +%d bytes stored"
                        + " (store now: packs %d, index %d, manifests %d)%n", i,
                        r.image().tracking(), r.memoryBytes() >> 10, r.freezeNanos() / 1e6, r.totalNanos() / 1e6,
                        now - before, sizeOf(storeDir, "packs"), sizeOf(storeDir, "index"), sizeOf(storeDir, "manifests"));
                System.out.printf("             phases (ms): %s%s%n", r.phases().format(), r.phases().preCopyNanos() == 0 ? ""
                        : String.format("; pre-copy while running %.1f", r.phases().preCopyNanos() / 1e6));
                phases.add(r.phases());
                before = now;
                parent = r.image().id();
            }
            long total = CheckpointBench.sizeOnDisk(storeDir);
            System.out.printf("store by kind: packs %d, index %d, manifests %d bytes%n", sizeOf(storeDir, "packs"),
                    sizeOf(storeDir, "index"), sizeOf(storeDir, "manifests"));
            // what the rewritten pages cost alone: half of each rewritten page is random (incompressible)
            long dirtyPages = (long) snapshots * ((long) mib * 256 * permille / 1000);
            double[] freeze = rows.stream().mapToDouble(r -> r[0]).toArray();
            double[] wall = rows.stream().mapToDouble(r -> r[1]).toArray();
            Arrays.sort(freeze);
            Arrays.sort(wall);
            // restores alternate between the last image and the full one, so that both see the same machine
            double[] restoreLast = new double[RESTORE_RUNS];
            double[] restoreFull = new double[RESTORE_RUNS];
            for (int i = 0; i < RESTORE_RUNS; i++) {
                restoreLast[i] = restoreMillis(store, parent);
                restoreFull[i] = restoreMillis(store, full.image().id());
            }
            double firstLast = restoreLast[0];
            double firstFull = restoreFull[0];
            Arrays.sort(restoreLast);
            Arrays.sort(restoreFull);
            long chunks = 0;
            long patches = 0;
            for (var a : store.read(parent).areas()) {
                if (a.content() != null) {
                    chunks += a.content().chunks().size();
                    patches += a.content().patches().size();
                }
            }
            System.out.printf("%n| drift, %d MiB, %d snapshots of %d‰ rewritten pages, %d KiB chunks | value |%n"
                    + "| --- | --- |%n", mib, snapshots, permille, chunkPages * 4);
            System.out.printf("| store after all snapshots | %d bytes |%n", total);
            System.out.printf("| one full image | %d bytes |%n", fullBytes);
            System.out.printf("| rewritten pages (uncompressed) | %d bytes |%n", dirtyPages * 4096);
            System.out.printf("| stored / (full image + rewritten pages) | %.2f |%n",
                    total / (double) (fullBytes + dirtyPages * 4096));
            System.out.printf("| freeze per incremental snapshot, median / max | %.1f ms / %.1f ms |%n",
                    freeze[freeze.length / 2], freeze[freeze.length - 1]);
            for (FreezePhase ph : FreezePhase.values()) {
                double[] t = phases.stream().mapToDouble(p -> p.of(ph) / 1e6).sorted().toArray();
                System.out.printf("| freeze phase %s, median / max | %.2f ms / %.2f ms |%n",
                        ph.name().toLowerCase().replace('_', ' '), t[t.length / 2], t[t.length - 1]);
            }
            double[] pre = phases.stream().mapToDouble(p -> p.preCopyNanos() / 1e6).sorted().toArray();
            System.out.printf("| pre-copy while running, median | %.1f ms |%n", pre[pre.length / 2]);
            System.out.printf("| wall per incremental snapshot, median | %.1f ms |%n", wall[wall.length / 2]);
            System.out.printf("| restore of the last image (%d chunks + %d page patches), median of %d | %.1f ms |%n",
                    chunks, patches, RESTORE_RUNS, restoreLast[RESTORE_RUNS / 2]);
            System.out.printf("| restore of the full image, median of %d | %.1f ms |%n", RESTORE_RUNS,
                    restoreFull[RESTORE_RUNS / 2]);
            System.out.printf("| first restore in this JVM: last image, then full image | %.1f ms, %.1f ms |%n",
                    firstLast, firstFull);
            System.out.printf("| restore last / restore full | %.2f |%n",
                    restoreLast[RESTORE_RUNS / 2] / restoreFull[RESTORE_RUNS / 2]);
        } finally {
            CheckpointBench.exec("kill", "-9", Integer.toString(pid));
            CheckpointBench.deleteTree(work);
        }
    }

    private static long sizeOf(Path store, String kind) throws java.io.IOException {
        Path dir = store.resolve(kind);
        return Files.isDirectory(dir) ? CheckpointBench.sizeOnDisk(dir) : 0;
    }
}
