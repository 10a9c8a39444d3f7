// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * "Keep every image within this long of the newest one", in restic's duration syntax:
 * {@code 1y5m7d2h} (years, months, days, hours; any may be left out, in this order). Months and
 * years are calendar ones, counted back in UTC from the newest image, as restic counts them.
 */
public record KeepWithin(int years, int months, int days, int hours) {

    private static final Pattern SYNTAX = Pattern.compile("(?:(\\d{1,4})y)?(?:(\\d{1,5})m)?(?:(\\d{1,6})d)?(?:(\\d{1,7})h)?");

    public KeepWithin {
        if (years < 0 || months < 0 || days < 0 || hours < 0) throw new IllegalArgumentException("keep-within: negative part");
    }

    /**
     * Parses {@code 1y5m7d2h}; null or blank is no duration (null). A malformed text is an
     * {@link IllegalArgumentException} naming the syntax.
     */
    public static KeepWithin parse(String text) {
        if (text == null || text.isBlank()) return null;
        Matcher m = SYNTAX.matcher(text.trim());
        if (!m.matches() || text.trim().isEmpty()) {
            throw new IllegalArgumentException("keepWithin: '" + text + "' is not a duration like 30d, 12h or 1y6m"
                    + " (years y, months m, days d, hours h, in that order)");
        }
        KeepWithin k = new KeepWithin(part(m, 1), part(m, 2), part(m, 3), part(m, 4));
        if (k.isZero()) throw new IllegalArgumentException("keepWithin: '" + text + "' is no time at all");
        return k;
    }

    private static int part(Matcher m, int group) {
        return m.group(group) == null ? 0 : Integer.parseInt(m.group(group));
    }

    public boolean isZero() {
        return years == 0 && months == 0 && days == 0 && hours == 0;
    }

    /** The instant this long before {@code t} (calendar arithmetic in UTC). */
    public Instant before(Instant t) {
        return t.atZone(ZoneOffset.UTC).minusYears(years).minusMonths(months).minusDays(days).minusHours(hours)
                .toInstant();
    }

    /** The normalised text, e.g. {@code 1y7d}: what the catalog stores and shows. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        if (years > 0) s.append(years).append('y');
        if (months > 0) s.append(months).append('m');
        if (days > 0) s.append(days).append('d');
        if (hours > 0) s.append(hours).append('h');
        return s.toString();
    }
}
