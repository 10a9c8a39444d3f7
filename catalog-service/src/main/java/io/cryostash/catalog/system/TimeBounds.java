// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.time.Instant;
import java.time.LocalDate;

import io.cryostash.schema.catalog.ImageRegistration;

/**
 * The times the catalog accepts anywhere (filters, bodies, forms): years 1 to 9999. Java reads
 * instants up to the year one billion; PostgreSQL stores up to 294276 and fails the query past it,
 * and a year of five digits is a typing slip in any case.
 */
public final class TimeBounds {

    public static final Instant EARLIEST = ImageRegistration.EARLIEST;
    public static final Instant LATEST = ImageRegistration.LATEST;
    public static final String RULE = "a time between 0001-01-01 and 9999-12-31";

    private TimeBounds() {
    }

    public static boolean contains(Instant t) {
        return !t.isBefore(EARLIEST) && !t.isAfter(LATEST);
    }

    public static boolean contains(LocalDate d) {
        return d.getYear() >= 1 && d.getYear() <= 9999;
    }
}
