// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.catalog;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.cryostash.schema.catalog.HostReport;

/**
 * Enrols the host and then heartbeats every period; while the catalog is away it retries with a
 * doubling delay (first {@code retry}, at most {@code maxRetry}).
 */
public final class Heartbeat implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);

    private final CatalogLink link;
    private final Duration period;
    private final Duration retry;
    private final Duration maxRetry;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile HostReport report;

    public Heartbeat(CatalogLink link, Duration period, Duration retry, Duration maxRetry, String hostId) {
        this.link = link;
        this.period = period;
        this.retry = retry;
        this.maxRetry = maxRetry;
        this.thread = new Thread(this::run, "heartbeat-" + hostId);
        thread.setDaemon(true);
    }

    public Heartbeat start() {
        thread.start();
        return this;
    }

    private void run() {
        long delay = retry.toMillis();
        boolean warned = false;
        while (running) {
            long wait;
            try {
                if (report == null) report = HostProbe.report();
                link.heartbeat(report);
                wait = period.toMillis();
                delay = retry.toMillis();
                if (warned) log.info("the catalog is reachable again");
                warned = false;
            } catch (RuntimeException e) {
                if (!warned || delay >= maxRetry.toMillis()) log.warn("heartbeat failed, next try in {} ms: {}", delay, e.getMessage());
                warned = true;
                wait = delay;
                delay = Math.min(delay * 2, maxRetry.toMillis());
            }
            try {
                synchronized (this) {
                    if (running) wait(wait);
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        running = false;
        synchronized (this) {
            notifyAll();
        }
        try {
            thread.join(20_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
