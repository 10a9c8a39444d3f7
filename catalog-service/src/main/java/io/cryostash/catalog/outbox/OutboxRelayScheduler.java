// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.outbox;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.event.TransactionalEventListener;

/**
 * Relays the outbox when an {@link OutboxRelay.OutboxPublisher} bean exists (the Kafka publisher,
 * with {@code spring.kafka.bootstrap-servers} set, or one registered by
 * {@code CatalogLauncher.run(..., publisher)}); without one, events wait in the table. A relay runs
 * as soon as a transaction that appended an event commits (a restore request reaches Kafka in
 * milliseconds, not at the next tick) and every {@code cryostash.catalog.outbox-relay-delay}
 * (default 500 ms), which retries what failed while the broker was away. Relays run one at a time
 * on their own thread.
 */
@Component
public class OutboxRelayScheduler implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelayScheduler.class);
    private final OutboxRelay relay;
    private final ObjectProvider<OutboxRelay.OutboxPublisher> publisher;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cryostash-outbox-relay");
        t.setDaemon(true);
        return t;
    });
    /** A relay is queued and has not started: another wake-up adds nothing. */
    private final AtomicBoolean queued = new AtomicBoolean();

    public OutboxRelayScheduler(OutboxRelay relay, ObjectProvider<OutboxRelay.OutboxPublisher> publisher) {
        this.relay = relay;
        this.publisher = publisher;
    }

    @Scheduled(fixedDelayString = "${cryostash.catalog.outbox-relay-delay:500}")
    public void tick() {
        wake();
    }

    @TransactionalEventListener
    void onAppended(Outbox.Appended appended) {
        wake();
    }

    /** Queues a relay on the relay thread unless one is queued already. */
    public void wake() {
        if (!queued.compareAndSet(false, true)) return;
        try {
            thread.execute(() -> {
                queued.set(false);
                relay();
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            queued.set(false);
        }
    }

    /** Relays everything pending, in batches, on the calling thread. */
    public void relay() {
        OutboxRelay.OutboxPublisher p = publisher.orderedStream().findFirst().orElse(null);
        if (p == null) return;
        try {
            while (relay.relayBatch(p, 100) == 100) {
                // a full batch: there may be more
            }
        } catch (RuntimeException e) {
            log.warn("Outbox relay failed, will retry: {}", e.toString());
        }
    }

    @Override
    public void destroy() {
        thread.shutdownNow();
    }
}
