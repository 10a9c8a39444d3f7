// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.outbox;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Relays the outbox every {@code cryostash.catalog.outbox-relay-delay} (default 500 ms) when an
 * {@link OutboxRelay.OutboxPublisher} bean exists (e.g. one that sends to Kafka, registered by
 * {@code CatalogLauncher.run(..., publisher)}); without one, events wait in the table.
 */
@Component
public class OutboxRelayScheduler {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelayScheduler.class);
    private final OutboxRelay relay;
    private final ObjectProvider<OutboxRelay.OutboxPublisher> publisher;

    public OutboxRelayScheduler(OutboxRelay relay, ObjectProvider<OutboxRelay.OutboxPublisher> publisher) {
        this.relay = relay;
        this.publisher = publisher;
    }

    @Scheduled(fixedDelayString = "${cryostash.catalog.outbox-relay-delay:500}")
    public void relay() {
        OutboxRelay.OutboxPublisher p = publisher.getIfUnique();
        if (p == null) return;
        try {
            while (relay.relayBatch(p, 100) == 100) {
                // a full batch: there may be more
            }
        } catch (RuntimeException e) {
            log.warn("Outbox relay failed, will retry: {}", e.toString());
        }
    }
}
