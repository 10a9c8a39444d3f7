// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.ToDoubleFunction;

import io.cryostash.store.image.ImageStore;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;

/**
 * Capture and restore throughput of one process with N MiB of touched, moderately
 * compressible memory (memhog: half of every 16 bytes random), the store on a local directory
 * and on an S3 server in this JVM (S3Proxy, filesystem back end), against the raw speed of
 * reading that memory (process_vm_readv) and of SHA-256 + zstd on every core.
 *
 * <p>Each run starts a memhog with another seed, so every capture stores all of its chunks
 * anew (nothing deduplicated) while one capturer per back end keeps its copy buffers warm, as
 * an agent does. Each restore opens the store afresh (index load included), as a restoring
 * host would. Run 0 is a warm-up (JIT, first touch of fresh memory) and is not reported;
 * figures are medians; CPU utilisation is this JVM's CPU time / wall / cores, the S3 server's
 * work included since it runs here too.
 */
public final class ThroughputBench {
    /** One measured stretch of work over {@code bytes} of memory. */
    record Sample(String what, long bytes, CpuClock clock) {
    }

    /** A store location and the capturer that writes into it. */
    record Backend(String name, String where, S3Config.Overrides s3, ImageStore store, Capturer capturer) {
        static Backend open(String name, String where, S3Config.Overrides s3) {
            ImageStore store = ImageStore.open(where, s3, null, ChunkStore.Options.defaults());
            return new Backend(name, where, s3, store, new Capturer(store));
        }
    }

    public static void main(String[] args) throws Exception {
        Path cdir = Path.of(args[0]);
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path work = Files.createTempDirectory("cryostash-throughput-");
        Path hog = work.resolve("memhog");
        CheckpointBench.exec("gcc", "-O2", "-o", hog.toString(), cdir.resolve("memhog.c").toString());
        List<Sample> samples = new ArrayList<>();
        try (S3Server s3 = new S3Server(work.resolve("s3"))) {
            List<Backend> backends = List.of(
                    Backend.open("local directory", work.resolve("store").toString(), S3Config.Overrides.NONE),
                    Backend.open("S3 (S3Proxy in this JVM, filesystem)", "s3://cryostash/bench", s3.overrides()));
            ByteBuffer copy = ByteBuffer.allocateDirect(mib << 20);
            for (int r = 0; r <= runs; r++) {
                Path out = work.resolve("hog-" + r + ".out");
                int pid = CheckpointBench.startDetached(hog + " " + mib + " 10 " + r + " > " + out);
                try {
                    CheckpointBench.awaitReady(out);
                    List<Sample> run = new ArrayList<>(raw(pid, copy));
                    for (Backend b : backends) {
                        run.addAll(roundTrip(b, pid));
                    }
                    if (r > 0) {
                        samples.addAll(run);
                    }
                } finally {
                    CheckpointBench.exec("kill", "-9", Integer.toString(pid));
                }
            }
            for (Backend b : backends) {
                b.store().close();
            }
        } finally {
            CheckpointBench.deleteTree(work);
        }
        report(mib, runs, samples);
    }

    private static List<Sample> raw(int pid, ByteBuffer copy) throws Exception {
        MapsEntry area = RawSpeed.largestAnonymous(pid);
        CpuClock start = CpuClock.now();
        RawSpeed.readArea(pid, area, copy);
        Sample read = new Sample("raw: read memory (process_vm_readv, 1 thread)", area.length(),
                CpuClock.now().since(start));
        start = CpuClock.now();
        RawSpeed.hashAndCompress(copy, CpuClock.CORES);
        Sample hash = new Sample("raw: SHA-256 + zstd-1 of 64 KiB chunks, " + CpuClock.CORES + " threads",
                area.length(), CpuClock.now().since(start));
        return List.of(read, hash);
    }

    /** A capture (leave running) into the back end, then a restore through a freshly opened store. */
    private static List<Sample> roundTrip(Backend b, int pid) throws Exception {
        CpuClock start = CpuClock.now();
        CaptureResult c = b.capturer().capture(pid, CaptureOptions.leaveRunning());
        Sample capture = new Sample("capture, " + b.name(), c.memoryBytes(), CpuClock.now().since(start));
        try (ImageStore fresh = ImageStore.open(b.where(), b.s3(), null, ChunkStore.Options.defaults())) {
            start = CpuClock.now();
            RestoreResult r = new Restorer(fresh).restore(c.image().id(), CheckpointBench.BESIDE_ORIGINAL);
            Sample restore = new Sample("restore, " + b.name(), c.memoryBytes(), CpuClock.now().since(start));
            CheckpointBench.exec("kill", "-9", Integer.toString(r.pid()));
            return List.of(capture, restore);
        }
    }

    private static void report(int mib, int runs, List<Sample> samples) {
        System.out.printf("%n| %d MiB touched, median of %d runs | wall | throughput | CPU / wall / %d cores |%n"
                + "| --- | --- | --- | --- |%n", mib, runs, CpuClock.CORES);
        samples.stream().map(Sample::what).distinct().forEach(what -> {
            List<Sample> of = samples.stream().filter(x -> x.what().equals(what)).toList();
            System.out.printf("| %s | %.0f ms | %.0f MB/s | %.0f %% |%n", what,
                    median(of, x -> x.clock().wallNanos() / 1e6), median(of, x -> x.clock().mbPerSecond(x.bytes())),
                    median(of, x -> x.clock().utilisation() * 100));
        });
        for (Sample s : samples) {
            System.out.printf("  %s: %.0f ms, %.0f MB/s, CPU %.0f %%%n", s.what(), s.clock().wallNanos() / 1e6,
                    s.clock().mbPerSecond(s.bytes()), s.clock().utilisation() * 100);
        }
    }

    private static double median(List<Sample> of, ToDoubleFunction<Sample> f) {
        double[] v = of.stream().mapToDouble(f).toArray();
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
