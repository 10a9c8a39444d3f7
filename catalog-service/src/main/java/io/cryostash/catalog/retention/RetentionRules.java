// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.util.ArrayList;
import java.util.List;

/**
 * What a policy keeps, as restic's {@code forget} options: the newest {@code keepLast}; the newest
 * image of each of the newest {@code keepHourly} hours, {@code keepDaily} days, {@code keepWeekly}
 * ISO weeks, {@code keepMonthly} months and {@code keepYearly} years that have images (UTC); and
 * every image within {@code keepWithin} of the newest. An image any rule keeps is kept.
 */
public record RetentionRules(int keepLast, int keepHourly, int keepDaily, int keepWeekly, int keepMonthly,
                             int keepYearly, KeepWithin keepWithin) {

    /** Largest count a rule takes (a count above the images there are keeps them all anyway). */
    public static final int MAX_COUNT = 100_000;

    public static RetentionRules keepLast(int n) {
        return new RetentionRules(n, 0, 0, 0, 0, 0, null);
    }

    /** True when no rule keeps anything: such a policy would expire every unpinned image. */
    public boolean keepsNothing() {
        return keepLast == 0 && keepHourly == 0 && keepDaily == 0 && keepWeekly == 0 && keepMonthly == 0
                && keepYearly == 0 && (keepWithin == null || keepWithin.isZero());
    }

    /** Problems with these rules, one "field: message" each; empty when they are acceptable. */
    public List<String> problems() {
        List<String> p = new ArrayList<>();
        check(p, "keepLast", keepLast);
        check(p, "keepHourly", keepHourly);
        check(p, "keepDaily", keepDaily);
        check(p, "keepWeekly", keepWeekly);
        check(p, "keepMonthly", keepMonthly);
        check(p, "keepYearly", keepYearly);
        if (p.isEmpty() && keepsNothing()) {
            p.add("keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin: at least one must"
                    + " keep something (a policy that keeps nothing would expire every image)");
        }
        return p;
    }

    private static void check(List<String> problems, String field, int n) {
        if (n < 0 || n > MAX_COUNT) problems.add(field + ": must be 0 to " + MAX_COUNT + ", not " + n);
    }

    /** For people: "last 24, daily 30, within 7d". */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (keepLast > 0) parts.add("last " + keepLast);
        if (keepHourly > 0) parts.add("hourly " + keepHourly);
        if (keepDaily > 0) parts.add("daily " + keepDaily);
        if (keepWeekly > 0) parts.add("weekly " + keepWeekly);
        if (keepMonthly > 0) parts.add("monthly " + keepMonthly);
        if (keepYearly > 0) parts.add("yearly " + keepYearly);
        if (keepWithin != null && !keepWithin.isZero()) parts.add("within " + keepWithin);
        return parts.isEmpty() ? "nothing" : String.join(", ", parts);
    }
}
