// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Which images of one job a policy keeps, like restic's {@code forget}: the newest {@code keepLast},
 * and the newest image of each of the newest {@code keepHourly} hours, {@code keepDaily} days and
 * {@code keepWeekly} ISO weeks (UTC) that have images. Every ancestor of a kept image is kept too:
 * an incremental image cannot be restored without its parents.
 */
public final class RetentionPlanner {

    private RetentionPlanner() {
    }

    /** An image as the planner sees it. */
    public record Candidate(String id, Instant capturedAt, String parentId) {
    }

    public record Plan(List<String> keep, List<String> expire) {
    }

    public static Plan plan(List<Candidate> images, int keepLast, int keepHourly, int keepDaily, int keepWeekly) {
        List<Candidate> newestFirst = new ArrayList<>(images);
        newestFirst.sort(Comparator.comparing(Candidate::capturedAt).reversed().thenComparing(Candidate::id));
        Set<String> keep = new LinkedHashSet<>();
        for (int i = 0; i < Math.min(keepLast, newestFirst.size()); i++) keep.add(newestFirst.get(i).id());
        keepNewestPerBucket(newestFirst, keepHourly, t -> t.truncatedTo(ChronoUnit.HOURS).toString(), keep);
        keepNewestPerBucket(newestFirst, keepDaily, t -> t.truncatedTo(ChronoUnit.DAYS).toString(), keep);
        keepNewestPerBucket(newestFirst, keepWeekly, t -> {
            ZonedDateTime z = t.atZone(ZoneOffset.UTC);
            return z.get(IsoFields.WEEK_BASED_YEAR) + "-W" + z.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR);
        }, keep);
        Map<String, String> parents = new HashMap<>();
        for (Candidate c : images) parents.put(c.id(), c.parentId());
        Set<String> closure = new HashSet<>();
        for (String id : keep) {
            for (String p = id; p != null && closure.add(p); p = parents.get(p)) {
                // walk up the chain of parents
            }
        }
        List<String> kept = new ArrayList<>();
        List<String> expired = new ArrayList<>();
        for (Candidate c : newestFirst) (closure.contains(c.id()) ? kept : expired).add(c.id());
        return new Plan(kept, expired);
    }

    private static void keepNewestPerBucket(List<Candidate> newestFirst, int buckets, Function<Instant, String> bucketOf,
                                            Set<String> keep) {
        if (buckets <= 0) return;
        Set<String> seen = new HashSet<>();
        for (Candidate c : newestFirst) {
            String b = bucketOf.apply(c.capturedAt());
            if (seen.contains(b)) continue;
            if (seen.size() == buckets) break;
            seen.add(b);
            keep.add(c.id());
        }
    }
}
