// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code cryostash.catalog.gc.*}: how the catalog collects the store's garbage.
 *
 * @param schedule        run on a schedule (default true; needs {@code cryostash.catalog.store})
 * @param interval        between scheduled runs (default PT1H)
 * @param initialDelay    before the first scheduled run (default PT10M)
 * @param grace           packs no index names are left alone until this old (default PT6H: a capture
 *                        uploads its packs before its index)
 * @param repackThreshold a pack with more than this fraction of dead bytes is rewritten (default 0.5)
 */
@ConfigurationProperties("cryostash.catalog.gc")
public record GcSettings(Boolean schedule, Duration interval, Duration initialDelay, Duration grace,
                         Double repackThreshold) {

    public GcSettings {
        if (schedule == null) schedule = true;
        if (interval == null) interval = Duration.ofHours(1);
        if (initialDelay == null) initialDelay = Duration.ofMinutes(10);
        if (grace == null) grace = Duration.ofHours(6);
        if (repackThreshold == null) repackThreshold = 0.5;
        if (grace.isNegative() || repackThreshold < 0 || repackThreshold > 1) {
            throw new IllegalArgumentException("cryostash.catalog.gc: grace must not be negative and repack-threshold must be 0..1");
        }
    }
}
