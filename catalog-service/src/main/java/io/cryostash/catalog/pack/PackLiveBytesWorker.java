// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pack;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Applies the queued live-image changes to the packs' {@code live_bytes} every
 * {@code cryostash.catalog.pack-live-bytes-delay} (default 2 s after the previous run ended), on the
 * scheduler's thread: see {@link PackRepository}. A failed run leaves the queue as it was (one
 * transaction) and the next run takes it again. Each scheduled run is timed as
 * {@code cryostash.catalog.pack.live.apply} (how far behind live_bytes can be: delay plus a run).
 */
@Component
public class PackLiveBytesWorker {

    private static final Logger log = LoggerFactory.getLogger(PackLiveBytesWorker.class);
    private final PackRepository packs;
    private final Timer runs;

    public PackLiveBytesWorker(PackRepository packs, MeterRegistry meters) {
        this.packs = packs;
        this.runs = Timer.builder("cryostash.catalog.pack.live.apply")
                .description("Scheduled runs applying queued image changes to packs' live_bytes").register(meters);
    }

    @Scheduled(initialDelay = 1000, fixedDelayString = "${cryostash.catalog.pack-live-bytes-delay:2000}")
    public void run() {
        try {
            runs.record(packs::applyLiveChanges);
        } catch (RuntimeException e) {
            log.warn("Applying live-byte changes to packs failed, will retry: {}", e.toString());
        }
    }
}
