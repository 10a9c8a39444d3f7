// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.web;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Times typed into filter forms. A datetime-local input sends "2026-11-20T08:00" (no zone, no
 * seconds unless it has them), a date input or a person "2026-11-20"; the API's ISO instants work
 * too. Pages show and read times in UTC, so a time without a zone is UTC.
 */
public final class WebTime {

    private static final DateTimeFormatter INPUT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

    private WebTime() {
    }

    /** Null for null or blank; else the instant, or an IllegalArgumentException saying what is accepted. */
    public static Instant parse(String text) {
        if (text == null || text.isBlank()) return null;
        String t = text.trim();
        try {
            Instant parsed;
            if (t.length() == 10) parsed = LocalDate.parse(t).atStartOfDay(ZoneOffset.UTC).toInstant();
            else if (t.endsWith("Z") || t.matches(".*[+-]\\d\\d:\\d\\d$")) parsed = OffsetDateTime.parse(t).toInstant();
            else parsed = LocalDateTime.parse(t).toInstant(ZoneOffset.UTC);
            if (!io.cryostash.catalog.system.TimeBounds.contains(parsed)) {
                throw new IllegalArgumentException("not a time between the years 1 and 9999: " + text);
            }
            return parsed;
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a time: " + text + " (expected e.g. 2026-11-20, 2026-11-20T08:00 or 2026-11-20T08:00:00Z)");
        }
    }

    /** What a datetime-local input shows for {@code t} (UTC, to the second); empty for null. */
    public static String input(Instant t) {
        return t == null ? "" : INPUT.format(t);
    }
}
