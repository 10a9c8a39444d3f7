// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import io.cryostash.catalog.store.VerifiedImage;
import io.cryostash.schema.catalog.AreaSummary;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.FdSummary;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.catalog.ProcessSummary;
import io.cryostash.schema.catalog.ThreadSummary;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.StoreFormat;
import io.cryostash.store.index.ChunkIndex;

/**
 * What the catalog registers for a verified image: everything from the signed manifest and the
 * store's index, not from the agent's word. The announcing event contributes only what the manifest
 * cannot say: the job's name and labels (the agent's naming, as at the command line) and how many
 * bytes this capture added to the store (bounded by the compressed size of everything it names).
 */
public final class ManifestRegistration {

    private ManifestRegistration() {
    }

    /**
     * @param hostCpuFlags the capturing host's CPU features as it reported them: what the image may
     *                     have used (the manifest does not list them)
     * @param knownParent  the manifest's parent when the catalog has it, else null (an image whose
     *                     parent was never registered is still registered, without the link)
     */
    public static ImageRegistration of(CheckpointCompleted e, VerifiedImage v, List<String> hostCpuFlags, String knownParent) {
        ProcessImage img = v.image();
        long logical = 0;
        long compressed = 0;
        List<ChunkRef> chunks = new ArrayList<>(v.chunks().size());
        // in key order (the order of their bytes, which is that of their hex): the registration sorts
        // them so, and a sorted list costs it one pass where 50,000 hex strings cost a sort
        List<Map.Entry<ChunkKey, ChunkIndex.Location>> byKey = new ArrayList<>(v.chunks().entrySet());
        byKey.sort(Map.Entry.comparingByKey());
        for (Map.Entry<ChunkKey, ChunkIndex.Location> c : byKey) {
            var entry = c.getValue().entry();
            logical = plus(logical, entry.uncompressedLength());
            compressed = plus(compressed, entry.compressedLength());
            chunks.add(new ChunkRef(c.getKey().hex(), entry.uncompressedLength(), (long) entry.compressedLength(),
                    c.getValue().packId(), entry.offset()));
        }
        List<AreaSummary> areas = new ArrayList<>(img.areas().size());
        long rss = 0;
        for (MemoryArea a : img.areas()) {
            areas.add(AreaSummary.of(a, a.content() == null ? null : storedBytes(a, v.chunks())));
            if (a.content() != null) rss = plus(rss, (long) a.storedPages() * a.content().pageSize());
        }
        List<ThreadSummary> threads = img.threads().stream().map(t -> new ThreadSummary(t.tid(), null, null)).toList();
        List<FdSummary> fds = img.fds() == null ? List.of() : img.fds().stream().map(FdSummary::of).toList();
        var p = img.process();
        String command = img.mm() != null && img.mm().exePath() != null ? img.mm().exePath()
                : p.exe() != null ? p.exe() : p.comm();
        var host = img.host();
        ProcessSummary summary = new ProcessSummary(p.pid(), command, p.cmdline(), host == null ? null : arch(host.arch()),
                hostCpuFlags, host == null ? null : host.vdsoSha256(), host == null ? null : host.kernel(),
                threads.size(), areas.size(), fds.size(), rss);
        return new ImageRegistration(v.id(), e.hostId(), e.job(), e.jobLabels(),
                img.createdAt() != null ? img.createdAt() : v.envelope().created(), knownParent, logical,
                Math.min(e.storedBytes(), compressed), StoreFormat.MANIFESTS + v.id(),
                Base64.getEncoder().encodeToString(v.envelope().signature()), summary, chunks, threads, areas, fds);
    }

    /** Compressed bytes of an area's chunks and patches in the store. */
    private static long storedBytes(MemoryArea a, Map<ChunkKey, ChunkIndex.Location> where) {
        long n = 0;
        for (AreaChunk c : a.content().chunks()) n = plus(n, where.get(c.key()).entry().compressedLength());
        for (AreaChunk c : a.content().patches()) n = plus(n, where.get(c.key()).entry().compressedLength());
        return n;
    }

    /**
     * A sum that stops at Long.MAX_VALUE instead of wrapping: a total past the registration's bounds is
     * then refused by name ({@code ImageRegistration.problems}), never taken as a small or negative number.
     */
    static long plus(long a, long b) {
        long s = a + b;
        return ((a ^ s) & (b ^ s)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : s;
    }

    /** uname -m names, which hosts report: a JVM's os.arch says amd64 where uname says x86_64. */
    static String arch(String arch) {
        if (arch == null) return null;
        return switch (arch) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            default -> arch;
        };
    }
}
