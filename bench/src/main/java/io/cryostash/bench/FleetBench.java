// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.index.PackSummary;
import io.cryostash.store.pack.ChunkCodec;
import io.cryostash.store.repository.FileStore;
import io.cryostash.store.repository.StoreStats;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.schema.image.FileFingerprint;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.FileRef;
import io.cryostash.schema.store.PackIndexEntry;

/**
 * Scenario "fleet": N different python3 programs (each imports its own set of C extension
 * modules, so each maps a different set of libraries) are checkpointed into one fresh local
 * store. Executables and libraries must be stored once: the bytes the store holds for them
 * (read from its own pack index, duplicates across packs counted) are compared with one
 * compressed copy of the distinct files and with what storing them per image would cost.
 */
public final class FleetBench {
    /** The real interpreter: pyenv shims run python through a shell script, which would be the process. */
    private static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    /** What one capture cost, from the store's counters (a difference of snapshots). */
    record Capture(String program, ProcessImage image, CaptureResult result, StoreStats.Snapshot added) {
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        Path work = Files.createTempDirectory("cryostash-fleet-");
        Path storeDir = work.resolve("store");
        List<Integer> pids = new ArrayList<>();
        try (ImageStore store = ImageStore.local(storeDir)) {
            List<Path> scripts = PythonPrograms.write(work, count);
            for (Path script : scripts) {
                Path out = work.resolve(script.getFileName() + ".out");
                pids.add(CheckpointBench.startDetached(PYTHON + " " + script + " > " + out));
            }
            for (Path script : scripts) {
                CheckpointBench.awaitReady(work.resolve(script.getFileName() + ".out"));
            }
            Capturer capturer = new Capturer(store);
            List<Capture> captures = new ArrayList<>();
            long wall = System.nanoTime();
            for (int i = 0; i < scripts.size(); i++) {
                StoreStats.Snapshot before = store.repository().chunks().stats();
                CaptureResult r = capturer.capture(pids.get(i), new CaptureOptions(true));
                StoreStats.Snapshot added = store.repository().chunks().stats().minus(before);
                captures.add(new Capture(scripts.get(i).getFileName().toString(), store.read(r.image().id()), r, added));
            }
            wall = System.nanoTime() - wall;
            report(store, storeDir, captures, wall);
        } finally {
            for (int pid : pids) {
                new ProcessBuilder("kill", "-9", Integer.toString(pid)).start().waitFor();
            }
            CheckpointBench.deleteTree(work);
        }
    }

    private static void report(ImageStore store, Path storeDir, List<Capture> captures, long wallNanos)
            throws IOException {
        // every pack entry the store holds, duplicates included: what the store really keeps
        Map<ChunkKey, Long> compressed = new HashMap<>();
        Map<ChunkKey, Integer> copies = new HashMap<>();
        for (PackSummary pack : store.repository().chunks().index().packs()) {
            for (PackIndexEntry e : pack.entries()) {
                compressed.merge(e.key(), (long) e.compressedLength(), Long::sum);
                copies.merge(e.key(), 1, Integer::sum);
            }
        }
        Map<String, FileRef> distinct = new LinkedHashMap<>();
        Map<String, String> pathOf = new HashMap<>();
        long perImage = 0;
        long perImageRaw = 0;
        System.out.println("| # | program | files (exe + libraries) | their bytes | memory read | new chunks | "
                + "deduplicated chunks | new bytes stored (compressed, memory and files) |");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        int n = 0;
        for (Capture c : captures) {
            List<FileRef> refs = codeFiles(c.image());
            for (FileFingerprint f : c.image().files()) {
                if (f.content() != null) {
                    distinct.putIfAbsent(f.content().sha256(), f.content());
                    pathOf.putIfAbsent(f.content().sha256(), f.path());
                }
            }
            long raw = refs.stream().mapToLong(FileRef::size).sum();
            perImageRaw += raw;
            perImage += refs.stream().flatMap(r -> r.chunks().stream()).mapToLong(k -> compressed.get(k) / copies.get(k))
                    .sum();
            System.out.printf("| %d | %s | %d | %.1f MiB | %.1f MiB | %d | %d | %.2f MiB |%n", ++n, c.program(),
                    refs.size(), raw / 1048576.0, c.result().memoryBytes() / 1048576.0, c.added().chunksNew(),
                    c.added().chunksDeduplicated(), c.added().compressedBytes() / 1048576.0);
        }
        Set<ChunkKey> fileKeys = distinct.values().stream().flatMap(r -> r.chunks().stream()).collect(Collectors.toSet());
        long stored = fileKeys.stream().mapToLong(compressed::get).sum();
        long duplicated = fileKeys.stream().filter(k -> copies.get(k) > 1).count();
        long raw = distinct.values().stream().mapToLong(FileRef::size).sum();
        long oneCopy = 0;
        ChunkCodec codec = new ChunkCodec(ChunkCodec.DEFAULT_LEVEL);
        for (String sha : distinct.keySet()) {
            oneCopy += compressedSize(Path.of(pathOf.get(sha)), codec);
        }
        long total = CheckpointBench.sizeOnDisk(storeDir);
        System.out.printf("%n| fleet: %d python3 processes (%s), one local store | value |%n| --- | --- |%n",
                captures.size(), PYTHON);
        System.out.printf("| distinct executables and libraries | %d files, %.1f MiB |%n", distinct.size(), raw / 1048576.0);
        System.out.printf("| the same, summed over images | %.1f MiB |%n", perImageRaw / 1048576.0);
        System.out.printf("| stored for them (pack entries, duplicates counted) | %d bytes |%n", stored);
        System.out.printf("| one compressed copy of them (zstd-%d, %d KiB pieces) | %d bytes |%n",
                ChunkCodec.DEFAULT_LEVEL, FileStore.PIECE_SIZE >> 10, oneCopy);
        System.out.printf("| stored / one copy | %.3f |%n", stored / (double) oneCopy);
        System.out.printf("| pieces stored more than once | %d |%n", duplicated);
        System.out.printf("| stored per image instead (compressed) | %d bytes |%n", perImage);
        System.out.printf("| saving against per-image copies | %.1f %% (%.1f×) |%n", 100.0 * (1 - stored / (double) perImage),
                perImage / (double) stored);
        System.out.printf("| store total on disk (packs, index, manifests) | %d bytes: packs %d, index %d, manifests %d |%n",
                total, sizeOf(storeDir, "packs"), sizeOf(storeDir, "index"), sizeOf(storeDir, "manifests"));
        System.out.printf("| checkpoint wall, all %d (sequential) | %.1f s |%n", captures.size(), wallNanos / 1e9);
    }

    /** The image's stored files (executables and libraries), each once. */
    private static List<FileRef> codeFiles(ProcessImage image) {
        Map<String, FileRef> bySha = new LinkedHashMap<>();
        for (FileFingerprint f : image.files()) {
            if (f.content() != null) {
                bySha.putIfAbsent(f.content().sha256(), f.content());
            }
        }
        return List.copyOf(bySha.values());
    }

    /** The file compressed piece by piece, as the store cuts it. */
    private static long compressedSize(Path file, ChunkCodec codec) throws IOException {
        long total = 0;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[FileStore.PIECE_SIZE];
            int k;
            while ((k = in.readNBytes(buf, 0, buf.length)) > 0) {
                total += codec.compress(buf, 0, k).length;
            }
        }
        return total;
    }

    private static long sizeOf(Path store, String kind) throws IOException {
        Path dir = store.resolve(kind);
        return Files.isDirectory(dir) ? CheckpointBench.sizeOnDisk(dir) : 0;
    }
}
