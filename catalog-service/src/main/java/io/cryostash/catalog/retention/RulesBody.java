// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import io.cryostash.catalog.system.InvalidRequestException;

/**
 * Retention rules as JSON: counts (absent means 0) and {@code keepWithin} in restic's syntax
 * ({@code 30d}, {@code 1y6m}, {@code 12h}).
 */
public record RulesBody(Integer keepLast, Integer keepHourly, Integer keepDaily, Integer keepWeekly, Integer keepMonthly,
                        Integer keepYearly, String keepWithin) {

    public RetentionRules rules() {
        KeepWithin within;
        try {
            within = KeepWithin.parse(keepWithin);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage());
        }
        return new RetentionRules(zero(keepLast), zero(keepHourly), zero(keepDaily), zero(keepWeekly), zero(keepMonthly),
                zero(keepYearly), within);
    }

    private static int zero(Integer n) {
        return n == null ? 0 : n;
    }
}
