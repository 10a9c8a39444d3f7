// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * An agent's summary of a finished image, sent to {@code POST /api/images}. The manifest itself
 * stays in the store (under {@code manifestKey}); this is what the catalog indexes of it.
 *
 * @param imageId      the image's id (as in the manifest)
 * @param hostId       the capturing host; must be the host the agent's token is bound to
 * @param job          name of the job on that host (created on first use)
 * @param jobLabels    labels for the job (merged into the job's labels), may be null
 * @param capturedAt   when the process was frozen
 * @param parentId     the image this one is incremental to, or null
 * @param logicalBytes bytes of process state the image describes
 * @param storedBytes  bytes this image added to the store (after dedup and compression)
 * @param manifestKey  key of the signed manifest in the store
 * @param signature    the manifest's signature (as the agent wrote it, e.g. base64)
 * @param process      summary of the frozen process
 * @param chunks       every chunk the image names
 * @param threads      the process's threads, for the image page; null or absent means none sent
 * @param areas        its memory areas (any order; the catalog keeps them by address); null means none sent
 * @param fds          its open descriptors; null means none sent
 */
public record ImageRegistration(
        String imageId,
        String hostId,
        String job,
        Map<String, String> jobLabels,
        Instant capturedAt,
        String parentId,
        long logicalBytes,
        long storedBytes,
        String manifestKey,
        String signature,
        ProcessSummary process,
        List<ChunkRef> chunks,
        List<ThreadSummary> threads,
        List<AreaSummary> areas,
        List<FdSummary> fds) {

    public static final Pattern ID = Pattern.compile("^[A-Za-z0-9._:-]{1,128}$");
    public static final int MAX_CHUNKS = 5_000_000;
    /** The manifest codec's bound on areas; the vm.max_map_count default is 65,530. */
    public static final int MAX_AREAS = 100_000;
    public static final int MAX_FDS = 65_536;
    public static final int MAX_THREADS = 100_000;
    /**
     * The most bytes an image may describe or add to the store: 128 PiB, twice what the largest
     * address space (57 bits, five-level paging) can map. The catalog adds these numbers up.
     */
    public static final long MAX_BYTES = 1L << 57;
    /** Capture times the catalog (and PostgreSQL) can store: years 1 to 9999. */
    public static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    /** A registration without the lists (what agents sent before the image page listed them). */
    public ImageRegistration(String imageId, String hostId, String job, Map<String, String> jobLabels, Instant capturedAt,
                             String parentId, long logicalBytes, long storedBytes, String manifestKey, String signature,
                             ProcessSummary process, List<ChunkRef> chunks) {
        this(imageId, hostId, job, jobLabels, capturedAt, parentId, logicalBytes, storedBytes, manifestKey, signature,
                process, chunks, null, null, null);
    }

    public List<ThreadSummary> threadsOrEmpty() {
        return threads == null ? List.of() : threads;
    }

    public List<AreaSummary> areasOrEmpty() {
        return areas == null ? List.of() : areas;
    }

    public List<FdSummary> fdsOrEmpty() {
        return fds == null ? List.of() : fds;
    }

    /** Everything wrong with this registration, one line per problem ("field: message"); empty when valid. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        id(out, "imageId", imageId);
        id(out, "hostId", hostId);
        if (job == null || job.isBlank() || job.length() > 200) out.add("job: must be 1 to 200 characters");
        if (capturedAt == null) out.add("capturedAt: is required");
        else if (capturedAt.isBefore(EARLIEST) || capturedAt.isAfter(LATEST)) {
            out.add("capturedAt: must be between 0001-01-01 and 9999-12-31 (is " + capturedAt + ")");
        }
        if (parentId != null) id(out, "parentId", parentId);
        if (parentId != null && parentId.equals(imageId)) out.add("parentId: an image cannot be its own parent");
        TextChecks.between(out, "logicalBytes", logicalBytes, 0, MAX_BYTES);
        TextChecks.between(out, "storedBytes", storedBytes, 0, MAX_BYTES);
        if (manifestKey == null || manifestKey.isBlank() || manifestKey.length() > 1024) out.add("manifestKey: must be 1 to 1024 characters");
        TextChecks.noNul(out, "manifestKey", manifestKey);
        if (signature == null || signature.isBlank()) out.add("signature: is required");
        else if (signature.length() > 4096) out.add("signature: at most 4096 characters");
        TextChecks.noNul(out, "signature", signature);
        TextChecks.noNul(out, "job", job);
        if (process == null) out.add("process: is required");
        else out.addAll(process.problems("process"));
        if (chunks == null) {
            out.add("chunks: is required (may be empty)");
        } else if (chunks.size() > MAX_CHUNKS) {
            out.add("chunks: at most " + MAX_CHUNKS);
        } else {
            // Tens of thousands of chunks, mostly in a few packs: each pack name is checked once, and a
            // chunk's problems (with its path) are worked out only when it has some.
            java.util.Set<String> goodPacks = new java.util.HashSet<>();
            for (int i = 0; i < chunks.size() && out.size() < 50; i++) {
                ChunkRef c = chunks.get(i);
                if (c == null) out.add("chunks[" + i + "]: must not be null");
                else if (!c.valid(goodPacks)) out.addAll(c.problems("chunks[" + i + "]"));
            }
        }
        listProblems(out, "threads", threads, MAX_THREADS, ThreadSummary::problems);
        listProblems(out, "areas", areas, MAX_AREAS, AreaSummary::problems);
        listProblems(out, "fds", fds, MAX_FDS, FdSummary::problems);
        if (jobLabels != null && jobLabels.size() > 64) {
            out.add("jobLabels: at most 64 labels");
        } else if (jobLabels != null) {
            jobLabels.forEach((k, v) -> {
                if (k == null || k.isBlank() || k.length() > 64) out.add("jobLabels: keys must be 1 to 64 characters");
                if (v == null || v.length() > 256) out.add("jobLabels." + k + ": values must be at most 256 characters");
                TextChecks.noNul(out, "jobLabels (a key)", k);
                TextChecks.noNul(out, "jobLabels." + k, v);
            });
        }
        return out;
    }

    /**
     * An image or host id: it names a path segment in the API (/api/images/{id}), where "." and ".."
     * would mean this directory and the one above.
     */
    public static boolean isValidId(String id) {
        return id != null && ID.matcher(id).matches() && !id.equals(".") && !id.equals("..");
    }

    private static void id(List<String> out, String field, String value) {
        if (value == null || !ID.matcher(value).matches()) out.add(field + ": must match " + ID.pattern());
        else if (!isValidId(value)) out.add(field + ": must not be . or ..");
    }

    /** Size first (a list over the bound is not read further), then each element; at most 50 lines in all. */
    private static <T> void listProblems(List<String> out, String name, List<T> list, int max,
                                         BiFunction<T, String, List<String>> check) {
        if (list == null) return;
        if (list.size() > max) {
            out.add(name + ": at most " + max);
            return;
        }
        for (int i = 0; i < list.size() && out.size() < 50; i++) {
            T e = list.get(i);
            if (e == null) out.add(name + "[" + i + "]: must not be null");
            else out.addAll(check.apply(e, name + "[" + i + "]"));
        }
    }
}
