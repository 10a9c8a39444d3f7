// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.image;

import java.time.Instant;
import java.util.Map;
import java.util.Set;

/**
 * A search of the image list; null fields do not restrict. {@code label} is "key=value";
 * {@code q} matches an image id prefix, a job name or a host name (substring, any case).
 */
public record ImageFilter(String host, String job, String label, ImageState state, Instant from, Instant to, String q,
                          String sort, String dir) {

    /** Sort keys the API accepts, and the column each sorts by. */
    public static final Map<String, String> SORTS = Map.of(
            "capturedAt", "i.captured_at",
            "logicalBytes", "i.logical_bytes",
            "storedBytes", "i.stored_bytes",
            "host", "i.host_id",
            "job", "j.name");
    public static final Set<String> DIRS = Set.of("asc", "desc");

    public static ImageFilter none() {
        return new ImageFilter(null, null, null, null, null, null, null, null, null);
    }

    public String sortOrDefault() {
        return sort == null || sort.isBlank() ? "capturedAt" : sort;
    }

    public String dirOrDefault() {
        return dir == null || dir.isBlank() ? "desc" : dir.toLowerCase();
    }
}
