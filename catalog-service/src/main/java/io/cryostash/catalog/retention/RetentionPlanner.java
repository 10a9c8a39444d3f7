// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Which images of one job a policy keeps, with restic's {@code forget} semantics
 * (internal/restic/snapshot_policy.go, ApplyPolicy):
 *
 * <ul>
 *   <li>Images are taken newest first. Each count rule has a bucket function (every image its own
 *       bucket for {@code keepLast}; the UTC hour, day, ISO week, month or year otherwise) and keeps
 *       the first image of each new bucket while its count lasts. While a rule still has counts left
 *       it also keeps the oldest image, so that a young job keeps its whole short history.</li>
 *   <li>{@code keepWithin} keeps every image captured after (newest image's time − duration); the
 *       newest image is the newest one not in the future.</li>
 *   <li>Pinned images are kept whatever the rules say and are not counted by them: a pin is a hold
 *       on top of the policy, so pinning an image never makes the policy expire another.</li>
 * </ul>
 *
 * <p>There is no rule for incremental parents: every image names all of its chunks (directly or
 * through chunk tables), so an image restores, and can be expired and collected, without its
 * parent; garbage collection keeps every chunk a remaining image names. (The catalog used to keep
 * the parents of kept incremental images, from a time when that was not true.)
 */
public final class RetentionPlanner {

    private RetentionPlanner() {
    }

    /** An image as the planner sees it. */
    public record Candidate(String id, Instant capturedAt, boolean pinned) {
    }

    /** An image kept, and every rule that keeps it ("last", "daily", "within 7d", "pinned", "oldest (daily)"). */
    public record Kept(String id, Instant capturedAt, List<String> reasons) {
    }

    /** Kept images and expired ids, both newest first. */
    public record Plan(List<Kept> keep, List<String> expire) {
        public List<String> keptIds() {
            return keep.stream().map(Kept::id).toList();
        }
    }

    private static final class Bucket {
        final String reason;
        final BiFunction<Instant, Integer, String> of;
        int left;
        String last;

        Bucket(String reason, int count, BiFunction<Instant, Integer, String> of) {
            this.reason = reason;
            this.left = count;
            this.of = of;
        }
    }

    public static Plan plan(List<Candidate> images, RetentionRules rules, Instant now) {
        List<Candidate> newestFirst = new ArrayList<>(images);
        newestFirst.sort(Comparator.comparing(Candidate::capturedAt).reversed().thenComparing(Candidate::id));
        List<Candidate> counted = newestFirst.stream().filter(c -> !c.pinned()).toList();
        List<Bucket> buckets = List.of(
                new Bucket("last", rules.keepLast(), (t, i) -> Integer.toString(i)),
                new Bucket("hourly", rules.keepHourly(), (t, i) -> utc(t).withMinute(0).withSecond(0).withNano(0).toString()),
                new Bucket("daily", rules.keepDaily(), (t, i) -> utc(t).toLocalDate().toString()),
                new Bucket("weekly", rules.keepWeekly(), (t, i) -> utc(t).get(IsoFields.WEEK_BASED_YEAR) + "-W"
                        + utc(t).get(IsoFields.WEEK_OF_WEEK_BASED_YEAR)),
                new Bucket("monthly", rules.keepMonthly(), (t, i) -> utc(t).getYear() + "-" + utc(t).getMonthValue()),
                new Bucket("yearly", rules.keepYearly(), (t, i) -> Integer.toString(utc(t).getYear())));
        Instant within = null;
        if (rules.keepWithin() != null && !rules.keepWithin().isZero()) {
            Instant newest = counted.stream().map(Candidate::capturedAt).filter(t -> !t.isAfter(now))
                    .max(Comparator.naturalOrder()).orElse(null);
            if (newest != null) within = rules.keepWithin().before(newest);
        }
        Map<String, List<String>> reasons = new LinkedHashMap<>();
        for (int i = 0; i < counted.size(); i++) {
            Candidate c = counted.get(i);
            List<String> why = new ArrayList<>();
            if (within != null && c.capturedAt().isAfter(within)) why.add("within " + rules.keepWithin());
            boolean oldest = i == counted.size() - 1;
            for (Bucket b : buckets) {
                if (b.left <= 0) continue;
                String v = b.of.apply(c.capturedAt(), i);
                if (!v.equals(b.last)) {
                    why.add(b.reason);
                } else if (oldest) {
                    why.add("oldest (" + b.reason + ")");
                } else {
                    continue;
                }
                b.last = v;
                b.left--;
            }
            if (!why.isEmpty()) reasons.put(c.id(), why);
        }
        List<Kept> keep = new ArrayList<>();
        List<String> expire = new ArrayList<>();
        for (Candidate c : newestFirst) {
            if (c.pinned()) {
                keep.add(new Kept(c.id(), c.capturedAt(), List.of("pinned")));
            } else if (reasons.containsKey(c.id())) {
                keep.add(new Kept(c.id(), c.capturedAt(), List.copyOf(reasons.get(c.id()))));
            } else {
                expire.add(c.id());
            }
        }
        return new Plan(keep, expire);
    }

    private static ZonedDateTime utc(Instant t) {
        return t.atZone(ZoneOffset.UTC);
    }
}
