// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.gc;

import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.store.CatalogStore;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Collects every {@code cryostash.catalog.gc.interval} when a store is configured ({@code gc.schedule=false}: never). */
@Component
@ConditionalOnProperty(name = "cryostash.catalog.gc.schedule", havingValue = "true", matchIfMissing = true)
public class GcScheduler {

    private final GcService gc;
    private final CatalogStore store;

    public GcScheduler(GcService gc, CatalogStore store) {
        this.gc = gc;
        this.store = store;
    }

    @Scheduled(fixedDelayString = "${cryostash.catalog.gc.interval:PT1H}", initialDelayString = "${cryostash.catalog.gc.initial-delay:PT10M}")
    public void run() {
        if (store.configured()) gc.run(false, Actor.system()); // a failure is recorded as a FAILED run and audited
    }
}
