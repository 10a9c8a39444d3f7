package io.cryostash.catalog.pack;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Applies the queued live-image changes to the packs' {@code live_bytes} every
 * {@code cryostash.catalog.pack-live-bytes-delay} (default 2 s after the previous run ended), on the
 * scheduler's thread: see {@link PackRepository}. A failed run leaves the queue as it was (one
 * transaction) and the next run takes it again.
 */
@Component
public class PackLiveBytesWorker {

    private static final Logger log = LoggerFactory.getLogger(PackLiveBytesWorker.class);
    private final PackRepository packs;

    public PackLiveBytesWorker(PackRepository packs) {
        this.packs = packs;
    }

    @Scheduled(initialDelay = 1000, fixedDelayString = "${cryostash.catalog.pack-live-bytes-delay:2000}")
    public void run() {
        try {
            packs.applyLiveChanges();
        } catch (RuntimeException e) {
            log.warn("Applying live-byte changes to packs failed, will retry: {}", e.toString());
        }
    }
}
