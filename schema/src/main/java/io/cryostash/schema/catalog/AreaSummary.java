// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import io.cryostash.schema.image.MemoryArea;

/**
 * One memory area of the frozen process, as the image page lists it: the manifest's
 * {@link MemoryArea} without its chunk map, plus how much of it the image keeps.
 *
 * @param start       first address (unsigned)
 * @param end         address just past the area (unsigned)
 * @param perms       as in /proc/PID/maps, e.g. "r-xp"
 * @param fileOffset  offset into {@code path} for file mappings, else 0
 * @param path        the mapped file (a plain absolute path), a pseudo name such as "[heap]", or null
 * @param kind        how restore treats the area (the manifest's kind)
 * @param storedPages pages of the area the image keeps ({@link MemoryArea#storedPages()})
 * @param storedBytes bytes those pages take in the store after compression, or null when not known
 *                    (every other number is required: JSON without it is not read)
 */
public record AreaSummary(long start, long end, String perms, long fileOffset, String path, MemoryArea.Kind kind,
                          long storedPages, Long storedBytes) {

    static final Pattern PERMS = Pattern.compile("[r-][w-][x-][ps]");
    /** /proc/PID/maps names of areas that are not files: [heap], [stack], [vdso], [anon:name], … */
    static final Pattern PSEUDO = Pattern.compile("\\[[\\x20-\\x5a\\x5c\\x5e-\\x7e]{1,256}\\]");

    public static AreaSummary of(MemoryArea a, Long storedBytes) {
        return new AreaSummary(a.start(), a.end(), a.perms(), a.fileOffset(), a.path(), a.kind(), a.storedPages(),
                storedBytes);
    }

    public long length() {
        return end - start;
    }

    public List<String> problems(String at) {
        List<String> out = new ArrayList<>();
        // Unsigned: the [vsyscall] page lives above 2^63.
        if (Long.compareUnsigned(start, end) >= 0) out.add(at + ": end must be above start");
        if (perms == null || !PERMS.matcher(perms).matches()) out.add(at + ".perms: must look like r-xp");
        if (fileOffset < 0) out.add(at + ".fileOffset: must not be negative");
        if (kind == null) out.add(at + ".kind: is required");
        // No more pages than the area has (4 KiB pages, the smallest; unsigned, [vsyscall] is above 2^63).
        long length = Long.compareUnsigned(start, end) < 0 ? end - start : 0;
        long pages = Long.divideUnsigned(length, 4096) + (Long.remainderUnsigned(length, 4096) == 0 ? 0 : 1);
        TextChecks.between(out, at + ".storedPages", storedPages, 0, pages);
        if (storedBytes != null) TextChecks.between(out, at + ".storedBytes", storedBytes, 0, ImageRegistration.MAX_BYTES);
        boolean file = kind == MemoryArea.Kind.FILE_PRIVATE || kind == MemoryArea.Kind.FILE_SHARED;
        if (file || (path != null && !PSEUDO.matcher(path).matches())) {
            String p = PlainPath.problem(path);
            if (p != null) out.add(at + ".path: " + p + (file ? "" : " or a name in brackets"));
        }
        return out;
    }
}
