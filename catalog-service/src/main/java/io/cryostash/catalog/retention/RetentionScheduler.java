// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.retention;

import io.cryostash.catalog.security.Actor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Applies every job's policy on a schedule ({@code cryostash.catalog.retention-interval}, default
 * hourly; {@code cryostash.catalog.retention-schedule=false} turns it off). A failed run is logged
 * and retried at the next interval; the expired images' storage is freed by the next GC run.
 */
@Component
@ConditionalOnProperty(name = "cryostash.catalog.retention-schedule", havingValue = "true", matchIfMissing = true)
public class RetentionScheduler {

    private static final Logger log = LoggerFactory.getLogger(RetentionScheduler.class);
    private final RetentionService retention;

    public RetentionScheduler(RetentionService retention) {
        this.retention = retention;
    }

    @Scheduled(fixedDelayString = "${cryostash.catalog.retention-interval:PT1H}",
            initialDelayString = "${cryostash.catalog.retention-initial-delay:PT5M}")
    public void run() {
        try {
            var o = retention.applyAll(false, Actor.system());
            if (o.expired() > 0) log.info("retention expired {} images of {} jobs ({} bytes to free)", o.expired(), o.jobs().size(), o.freedBytes());
        } catch (RuntimeException e) {
            log.warn("retention run failed (retried at the next interval): {}", e.toString());
        }
    }
}
