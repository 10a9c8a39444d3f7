// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.schedule;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

import org.springframework.scheduling.support.CronExpression;

/**
 * When a schedule is due next. Cron expressions are Spring's six fields (second minute hour day
 * month weekday, e.g. {@code 0 *}{@code /15 * * * *}, or macros such as {@code @hourly}) in the catalog's
 * time zone; intervals count from the previous due time, so a run that starts late does not shift
 * every later one, but a catalog that was down does not catch up on the runs it missed either.
 */
public final class ScheduleTimes {

    public static final int MIN_INTERVAL = 10;
    public static final int MAX_INTERVAL = 31_536_000;

    private ScheduleTimes() {
    }

    /** What is wrong with a timetable (one of interval and cron, each valid), empty when it is fine. */
    public static List<String> problems(Integer intervalSeconds, String cron) {
        List<String> out = new ArrayList<>();
        boolean hasCron = cron != null && !cron.isBlank();
        if ((intervalSeconds == null) == !hasCron) {
            out.add("intervalSeconds or cron: exactly one of them is required");
            return out;
        }
        if (intervalSeconds != null && (intervalSeconds < MIN_INTERVAL || intervalSeconds > MAX_INTERVAL)) {
            out.add("intervalSeconds: must be " + MIN_INTERVAL + " to " + MAX_INTERVAL);
        }
        if (hasCron) {
            if (cron.length() > 200) {
                out.add("cron: at most 200 characters");
            } else {
                try {
                    if (CronExpression.parse(cron).next(Instant.now().atZone(ZoneId.systemDefault())) == null) {
                        out.add("cron: " + cron + " never fires");
                    }
                } catch (IllegalArgumentException e) {
                    out.add("cron: " + e.getMessage() + " (six fields: second minute hour day month weekday)");
                }
            }
        }
        return out;
    }

    /** The first due time after {@code now}, for a schedule last due at {@code previous} (null: never). */
    public static Instant next(Integer intervalSeconds, String cron, Instant previous, Instant now) {
        if (cron != null) {
            var next = CronExpression.parse(cron).next(now.atZone(ZoneId.systemDefault()));
            return next == null ? null : next.toInstant();
        }
        if (previous != null) {
            Instant n = previous.plusSeconds(intervalSeconds);
            if (n.isAfter(now)) return n;
        }
        return now.plusSeconds(intervalSeconds);
    }
}
