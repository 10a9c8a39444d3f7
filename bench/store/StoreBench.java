// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench.store;

import com.github.luben.zstd.ZstdCompressCtx;
import io.cryostash.store.backend.Backend;
import io.cryostash.store.backend.DirectoryBackend;
import io.cryostash.store.backend.S3ProxyFixture;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.Repository;
import io.cryostash.store.repository.StoreStats;
import io.cryostash.store.sign.HostKeys;
import io.cryostash.store.sign.TrustedKeys;
import io.cryostash.schema.store.AreaChunks;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Store throughput on real process memory. Prints a Markdown table for bench/RESULTS.md.
 * Medians of 5 runs after a warm-up run; all buffers touched before timing.
 */
public final class StoreBench {
    static final int PAGE = 4096;

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int mib = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        Files.createDirectories(work);
        byte[] mem = snapshotPython(mib);
        if (args.length > 2 && args[2].equals("drift")) {
            drift(work, mem, HostKeys.ephemeral(), null);
            return;
        }
        System.out.printf(Locale.ROOT, "# sample: %d MiB of present anonymous pages of a python3 process, %d cores, load average %.1f%n",
                mem.length >> 20, Runtime.getRuntime().availableProcessors(), OS.getSystemLoadAverage());

        System.out.println("\n| chunk | SHA-256 (CPU time) | zstd-1 (CPU time) | ratio | distinct chunks | index entries/GiB |");
        System.out.println("|---|---|---|---|---|---|");
        for (int size : new int[] {4096, 16384, 65536, 262144}) {
            double sha = median(() -> sha(mem, size));
            double[] ratio = new double[1];
            double z = median(() -> zstd(mem, size, ratio));
            long distinct = distinct(mem, size);
            System.out.printf(Locale.ROOT, "| %d KiB | %.0f MB/s | %.0f MB/s | %.2f | %d of %d | %d |%n", size / 1024,
                    mem.length / sha / 1e6, mem.length / z / 1e6, ratio[0], distinct, mem.length / size,
                    (1L << 30) / size);
        }

        HostKeys keys = HostKeys.ephemeral();
        TrustedKeys trust = TrustedKeys.of(keys.publicKey());
        System.out.println("\n| back end | capture, new data: wall / per CPU-s | capture, all known: wall / per CPU-s | restore read: wall / per CPU-s | stored/raw |");
        System.out.println("|---|---|---|---|---|");
        // warm-up (heap growth, JIT, first touch of memory the VM gave back to the host): not printed
        java.io.PrintStream realOut = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        run("warm-up", () -> new DirectoryBackend(Files.createTempDirectory(work, "warm")), mem, keys, trust);
        System.setOut(realOut);
        run("directory, disk", () -> new DirectoryBackend(Files.createTempDirectory(work, "dir")), mem, keys, trust);
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm)) {
            run("directory, tmpfs", () -> new DirectoryBackend(Files.createTempDirectory(shm, "cryostash-bench")), mem, keys, trust);
        }
        try (S3ProxyFixture s3 = new S3ProxyFixture(Files.createTempDirectory(work, "s3"))) {
            run("S3Proxy in process (filesystem)", s3::freshBackend, mem, keys, trust);
        }
        drift(work, mem, keys, trust);
    }

    /**
     * "drift": 24 snapshots, each after rewriting 1 % of the pages, chosen at random (the worst
     * case for chunks); incremental captures with the dirty bitmap. Stored bytes against one
     * full image plus every rewritten page compressed on its own.
     */
    static void drift(Path work, byte[] mem, HostKeys keys, TrustedKeys trust) throws Exception {
        if (trust == null) {
            trust = TrustedKeys.of(keys.publicKey());
        }
        int pages = mem.length / PAGE;
        java.util.BitSet all = new java.util.BitSet();
        all.set(0, pages);
        java.util.Random r = new java.util.Random(42);
        Path shm = Path.of("/dev/shm");
        Path dir = Files.createTempDirectory(Files.isDirectory(shm) ? shm : work, "cryostash-drift");
        try (Repository repo = Repository.open(new DirectoryBackend(dir), keys, trust, "bench", null,
                ChunkStore.Options.defaults())) {
            AreaChunker chunker = new AreaChunker();
            AreaChunker.MemoryReader reader = (addr, dst) -> dst.put(mem, (int) addr, dst.remaining());
            AreaChunks area;
            try (ImageWriter w = repo.newImage()) {
                area = w.putArea(chunker, 0, mem.length, AreaChunker.PagePresence.of(all), reader);
                w.commit("{}".getBytes(StandardCharsets.UTF_8));
            }
            long full = repo.chunks().stats().packBytesUploaded();
            long dirtyPages = 0;
            long dirtyCompressed = 0; // each rewritten page compressed alone: what storing just those pages costs
            ZstdCompressCtx zc = new ZstdCompressCtx();
            zc.setLevel(1);
            byte[] zbuf = new byte[2 * PAGE];
            double[] times = new double[24];
            for (int snap = 0; snap < 24; snap++) {
                java.util.BitSet dirty = new java.util.BitSet();
                for (int i = 0; i < pages / 100; i++) {
                    int p = r.nextInt(pages);
                    dirty.set(p);
                    for (int b = 0; b < 64; b++) {
                        mem[p * PAGE + r.nextInt(PAGE)] = (byte) r.nextInt();
                    }
                }
                dirtyPages += dirty.cardinality();
                for (int p = dirty.nextSetBit(0); p >= 0; p = dirty.nextSetBit(p + 1)) {
                    dirtyCompressed += zc.compressByteArray(zbuf, 0, zbuf.length, mem, p * PAGE, PAGE);
                }
                long t0 = System.nanoTime();
                try (ImageWriter w = repo.newImage()) {
                    area = w.putAreaIncremental(chunker, area, 0, mem.length, AreaChunker.PagePresence.of(all),
                            AreaChunker.PagePresence.of(dirty), reader);
                    w.commit("{}".getBytes(StandardCharsets.UTF_8));
                }
                times[snap] = (System.nanoTime() - t0) / 1e6;
            }
            long total = repo.chunks().stats().packBytesUploaded();
            double expected = full + dirtyCompressed;
            Arrays.sort(times);
            byte[] out = new byte[mem.length];
            AreaChunker.restore(area, repo.chunks()::readChunks, (addr, src) -> src.get(out, (int) addr, src.remaining()));
            if (!Arrays.equals(out, mem)) {
                throw new AssertionError("drift restore differs");
            }
            System.out.printf(Locale.ROOT, "%n| drift (%d MiB, 24 × 1 %% random pages) | full image | rewritten pages | stored in total | vs full + rewritten | incremental store+commit, median |%n",
                    mem.length >> 20);
            System.out.println("|---|---|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| 64 KiB chunks + page patches | %.1f MiB | %d (%.1f MiB raw, %.1f MiB compressed) | %.1f MiB | %.2f× | %.0f ms |%n",
                    full / 1048576.0, dirtyPages, dirtyPages * PAGE / 1048576.0, dirtyCompressed / 1048576.0, total / 1048576.0, total / expected,
                    times[12]);
        }
    }

    interface Timed {
        double run() throws Exception;
    }

    interface Opener {
        Backend open() throws Exception;
    }

    static double median(Timed t) throws Exception {
        t.run();
        double[] xs = new double[5];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = t.run();
        }
        Arrays.sort(xs);
        return xs[2];
    }

    static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    /** CPU seconds of the current thread: single-thread figures stay meaningful when other jobs share the cores. */
    static long cpu() {
        return THREADS.getCurrentThreadCpuTime();
    }

    static double sha(byte[] mem, int size) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        long t0 = cpu();
        for (int off = 0; off < mem.length; off += size) {
            d.update(mem, off, Math.min(size, mem.length - off));
            d.digest();
        }
        return (cpu() - t0) / 1e9;
    }

    static double zstd(byte[] mem, int size, double[] ratio) {
        try (ZstdCompressCtx c = new ZstdCompressCtx()) {
            c.setLevel(1);
            byte[] dst = new byte[size * 2 + 1024];
            long out = 0;
            long t0 = cpu();
            for (int off = 0; off < mem.length; off += size) {
                out += c.compressByteArray(dst, 0, dst.length, mem, off, Math.min(size, mem.length - off));
            }
            double s = (cpu() - t0) / 1e9;
            ratio[0] = (double) mem.length / out;
            return s;
        }
    }

    static long distinct(byte[] mem, int size) throws Exception {
        java.util.HashSet<String> seen = new java.util.HashSet<>();
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        for (int off = 0; off < mem.length; off += size) {
            d.update(mem, off, Math.min(size, mem.length - off));
            seen.add(Arrays.toString(d.digest()));
        }
        return seen.size();
    }

    static void run(String name, Opener opener, byte[] mem, HostKeys keys, TrustedKeys trust) throws Exception {
        double[] fresh = new double[3];
        double[] again = new double[3];
        double[] read = new double[3];
        double[] freshCpu = new double[3];
        double[] againCpu = new double[3];
        double[] readCpu = new double[3];
        double ratio = 0;
        for (int i = 0; i < 3; i++) {
            Backend b = opener.open();
            try (Repository repo = Repository.open(b, keys, trust, "bench", null, ChunkStore.Options.defaults())) {
                AreaChunker chunker = new AreaChunker();
                long c0 = OS.getProcessCpuTime();
                long t0 = System.nanoTime();
                AreaChunks area;
                try (ImageWriter w = repo.newImage()) {
                    area = w.putArea(chunker, 0, mem.length, AreaChunker.PagePresence.all(),
                            (addr, dst) -> dst.put(mem, (int) addr, dst.remaining()));
                    w.commit("{}".getBytes(StandardCharsets.UTF_8));
                }
                fresh[i] = (System.nanoTime() - t0) / 1e9;
                freshCpu[i] = (OS.getProcessCpuTime() - c0) / 1e9;
                StoreStats.Snapshot s = repo.chunks().stats();
                ratio = (double) s.packBytesUploaded() / mem.length;
                c0 = OS.getProcessCpuTime();
                t0 = System.nanoTime();
                try (ImageWriter w = repo.newImage()) {
                    w.putArea(chunker, 0, mem.length, AreaChunker.PagePresence.all(),
                            (addr, dst) -> dst.put(mem, (int) addr, dst.remaining()));
                    w.commit("{}".getBytes(StandardCharsets.UTF_8));
                }
                again[i] = (System.nanoTime() - t0) / 1e9;
                againCpu[i] = (OS.getProcessCpuTime() - c0) / 1e9;
                byte[] out = new byte[mem.length];
                try (Repository reader = Repository.open(b, keys, trust, "bench", null, ChunkStore.Options.defaults())) {
                    c0 = OS.getProcessCpuTime();
                    t0 = System.nanoTime();
                    AreaChunker.restore(area, reader.chunks()::readChunks,
                            (addr, src) -> src.get(out, (int) addr, src.remaining()));
                    read[i] = (System.nanoTime() - t0) / 1e9;
                    readCpu[i] = (OS.getProcessCpuTime() - c0) / 1e9;
                }
                if (!Arrays.equals(out, mem)) {
                    throw new AssertionError("restore differs");
                }
            }
        }
        for (double[] xs : new double[][] {fresh, again, read, freshCpu, againCpu, readCpu}) {
            Arrays.sort(xs);
        }
        double mb = mem.length / 1e6;
        System.out.printf(Locale.ROOT, "| %s | %.0f / %.0f MB/s | %.0f / %.0f MB/s | %.0f / %.0f MB/s | %.2f |%n", name,
                mb / fresh[1], mb / freshCpu[1], mb / again[1], mb / againCpu[1], mb / read[1], mb / readCpu[1], ratio);
    }

    /** Starts python3 holding ~mib MiB of objects and copies its present anonymous pages. */
    static byte[] snapshotPython(int mib) throws Exception {
        int n = mib * 8000; // ≈ 130 bytes per element across the three structures
        String prog = "import random,sys,time\n"
                + "random.seed(1)\n"
                + "a=[random.random() for _ in range(" + n + ")]\n"
                + "b={('k%d'%i):i*7 for i in range(" + n / 2 + ")}\n"
                + "c=[str(i)*3 for i in range(" + n / 2 + ")]\n"
                + "sys.stdout.write('ready\\n');sys.stdout.flush();time.sleep(3600)\n";
        Path script = Files.createTempFile("memhog", ".py");
        Files.writeString(script, prog);
        Process p = new ProcessBuilder("python3", script.toString()).redirectErrorStream(true).start();
        try {
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream())).readLine();
            if (!"ready".equals(line)) {
                throw new IllegalStateException("python3 said " + line);
            }
            long pid = p.pid();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try (RandomAccessFile memf = new RandomAccessFile("/proc/" + pid + "/mem", "r");
                 RandomAccessFile pm = new RandomAccessFile("/proc/" + pid + "/pagemap", "r")) {
                for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
                    String[] f = l.trim().split("\\s+");
                    if (!f[1].startsWith("rw") || (f.length > 5 && f[5].startsWith("/")) || l.contains("[v")) {
                        continue;
                    }
                    String[] r = f[0].split("-");
                    long s = Long.parseUnsignedLong(r[0], 16);
                    long e = Long.parseUnsignedLong(r[1], 16);
                    byte[] pmb = new byte[(int) ((e - s) / PAGE * 8)];
                    pm.seek(s / PAGE * 8);
                    pm.readFully(pmb);
                    ByteBuffer pmbb = ByteBuffer.wrap(pmb).order(ByteOrder.LITTLE_ENDIAN);
                    byte[] page = new byte[PAGE];
                    for (long a = s; a < e; a += PAGE) {
                        if ((pmbb.getLong() >>> 63) == 0) {
                            continue;
                        }
                        memf.seek(a);
                        memf.readFully(page);
                        out.write(page);
                    }
                }
            }
            return out.toByteArray();
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(script);
        }
    }
}
