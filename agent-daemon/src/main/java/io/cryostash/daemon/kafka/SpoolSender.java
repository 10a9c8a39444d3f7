// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's thread that empties the spool into Kafka: in order, backing off (doubling up to a
 * limit) while the broker is away, and only once {@code ready} says so (the catalog must know the
 * host's key before it sees a signed message, or it would park it as unverifiable).
 */
public final class SpoolSender implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SpoolSender.class);

    private final Spool spool;
    private final Spool.Sender sender;
    private final BooleanSupplier ready;
    private final Duration firstDelay;
    private final Duration maxDelay;
    private final Semaphore wake = new Semaphore(0);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile String lastProblem;

    public SpoolSender(Spool spool, Spool.Sender sender, BooleanSupplier ready, Duration firstDelay, Duration maxDelay,
                       String name) {
        this.spool = spool;
        this.sender = sender;
        this.ready = ready;
        this.firstDelay = firstDelay;
        this.maxDelay = maxDelay;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    public SpoolSender start() {
        thread.start();
        return this;
    }

    /** Something was spooled: try now instead of at the next tick. */
    public void wake() {
        wake.release();
    }

    /** Why the last attempt failed, or null when it worked. */
    public String lastProblem() {
        return lastProblem;
    }

    private void run() {
        long delay = firstDelay.toMillis();
        while (running) {
            long wait = 1000;
            try {
                if (!ready.getAsBoolean()) {
                    wait = delay;
                } else {
                    int n = spool.drain(sender);
                    if (n > 0) log.debug("sent {} spooled message(s)", n);
                    lastProblem = null;
                    delay = firstDelay.toMillis();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                lastProblem = e.toString();
                log.warn("cannot send spooled messages yet ({} waiting in {}): {}; next try in {} ms",
                        spool.size(), spool.dir(), e.getMessage(), delay);
                wait = delay;
                delay = Math.min(delay * 2, maxDelay.toMillis());
            }
            try {
                wake.tryAcquire(wait, TimeUnit.MILLISECONDS);
                wake.drainPermits();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops after one last attempt to send what is waiting (bounded by the sender's own timeout). */
    @Override
    public void close() {
        running = false;
        wake.release();
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ready.getAsBoolean()) {
            try {
                spool.drain(sender);
            } catch (Exception e) {
                log.warn("{} message(s) stay in the spool {} for the next start: {}", spool.size(), spool.dir(), e.getMessage());
            }
        }
    }
}
