// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.cryostash.schema.event.InvalidEventException;
import io.cryostash.schema.event.RestoreCancelled;
import io.cryostash.schema.event.Topics;

/**
 * The agent's request loop: one consumer in group {@code cryostash-agent-HOST} on the request topics,
 * reading every partition and skipping keys that are not this host. Each message is handled to the
 * end (work done, report spooled) before its offset is committed; a failure is retried with a
 * doubling delay, and after the last attempt reported and parked on the dead-letter topic with its
 * reason. Messages are handled one at a time, in order, on this thread (cancellations first).
 */
public final class RequestConsumer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RequestConsumer.class);
    private static final Duration COMMIT_ATTEMPT = Duration.ofSeconds(15);

    private final String hostId;
    private final String group;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, RequestHandler> handlers;
    private final Reporter reporter;
    private final Duration firstDelay;
    private final Duration maxDelay;
    private final int attempts;
    private final Thread thread;
    private volatile boolean running = true;

    /** @param handlers by topic */
    public RequestConsumer(KafkaSettings kafka, String hostId, String group, Map<String, RequestHandler> handlers,
                           Reporter reporter, Duration firstDelay, Duration maxDelay, int attempts) {
        this.hostId = hostId;
        this.group = group;
        this.handlers = Map.copyOf(handlers);
        this.reporter = reporter;
        this.firstDelay = firstDelay;
        this.maxDelay = maxDelay;
        this.attempts = attempts;
        Map<String, Object> p = new HashMap<>(kafka.clientProperties());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // a request made before this host's agent first ran must still reach it
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20);
        // a restore of a large image, with retries, may take minutes between polls
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 30 * 60 * 1000);
        p.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2000);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "requests-" + hostId);
    }

    public RequestConsumer start() {
        consumer.subscribe(List.copyOf(handlers.keySet()));
        thread.start();
        return this;
    }

    private void run() {
        try {
            while (running) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                // a cancellation behind its request in the same batch wins over a request still to start
                for (ConsumerRecord<String, byte[]> r : records) {
                    if (hostId.equals(r.key()) && RestoreCancelled.TYPE.equals(header(r, Topics.HEADER_TYPE))) handle(r);
                }
                for (ConsumerRecord<String, byte[]> r : records) {
                    if (!running) break;
                    if (hostId.equals(r.key())) {
                        handle(r);
                    }
                    commit(r);
                }
            }
        } catch (WakeupException e) {
            if (running) log.error("request consumer of host {} woken up unexpectedly", hostId, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("request consumer of host {} stopped: {}", hostId, e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(10));
        }
    }

    private void handle(ConsumerRecord<String, byte[]> r) throws InterruptedException {
        RequestHandler h = handlers.get(r.topic());
        String type = header(r, Topics.HEADER_TYPE);
        log.debug("{}-{} message at offset {} taken {} ms after it was produced", r.topic(), r.partition(), r.offset(),
                System.currentTimeMillis() - r.timestamp());
        long delay = firstDelay.toMillis();
        String reason = null;
        int attempt = 0;
        while (attempt < attempts) {
            attempt++;
            try {
                h.handle(type, r.value());
                return;
            } catch (RetryLaterException e) {
                attempt--; // waiting for something that is away is no failure of the request
                if (!running) break;
                log.warn("{} message at offset {} waits, next try in {} ms: {}", r.topic(), r.offset(), delay, e.getMessage());
                Thread.sleep(delay);
                delay = Math.min(delay * 2, maxDelay.toMillis());
            } catch (InvalidEventException | RequestRefusedException e) {
                log.warn("{} message at offset {} refused: {}", r.topic(), r.offset(), e.getMessage());
                park(r, type, e.getMessage(), attempt);
                return;
            } catch (Exception e) {
                reason = e.getMessage() == null ? e.toString() : e.getMessage();
                if (attempt >= attempts || !running) break;
                log.warn("{} message at offset {} failed (attempt {} of {}), next try in {} ms: {}", r.topic(), r.offset(),
                        attempt, attempts, delay, reason);
                Thread.sleep(delay);
                delay = Math.min(delay * 2, maxDelay.toMillis());
            }
        }
        if (!running && attempt < attempts) {
            // shutting down mid-retry: leave the offset uncommitted so that the next start tries again
            throw new WakeupException();
        }
        log.error("{} message at offset {} failed {} times, parked on {}: {}", r.topic(), r.offset(), attempt,
                Topics.DEAD_LETTER, reason);
        try {
            h.gaveUp(type, r.value(), reason);
        } catch (RuntimeException e) {
            log.warn("could not report the failure of a {} message: {}", r.topic(), e.getMessage());
        }
        park(r, type, reason, attempt);
    }

    /**
     * Commits past a handled message, trying again while the broker is away: a commit that gave up
     * would end this loop, and the agent would look alive while it takes no more requests.
     */
    private void commit(ConsumerRecord<String, byte[]> r) throws InterruptedException {
        Map<TopicPartition, OffsetAndMetadata> next = Map.of(new TopicPartition(r.topic(), r.partition()),
                new OffsetAndMetadata(r.offset() + 1));
        long delay = firstDelay.toMillis();
        while (true) {
            try {
                consumer.commitSync(next, COMMIT_ATTEMPT);
                return;
            } catch (RetriableException e) {
                if (!running) {
                    log.warn("{} message at offset {} is done but its offset is not committed ({}); the next start "
                            + "finds it done in the ledger", r.topic(), r.offset(), e.getMessage());
                    return;
                }
                log.warn("cannot commit past {} message at offset {} yet ({}); next try in {} ms", r.topic(), r.offset(),
                        e.getMessage(), delay);
                Thread.sleep(delay);
                delay = Math.min(delay * 2, maxDelay.toMillis());
            } catch (CommitFailedException e) {
                // the group moved on without this consumer: the message comes back, and the ledger knows it is done
                log.warn("{} message at offset {} is done but its offset could not be committed: {}", r.topic(), r.offset(),
                        e.getMessage());
                return;
            }
        }
    }

    private void park(ConsumerRecord<String, byte[]> r, String type, String reason, int attempts) {
        reporter.report(reporter.messages().deadLetter(r.topic(), r.key(), r.value(), type, reason, group, attempts));
    }

    private static String header(ConsumerRecord<String, byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Stops after the message in hand; its offset is committed only if its work finished. */
    @Override
    public void close() {
        running = false; // the loop polls with a short timeout: no wakeup, which would also break the commit of finished work
        try {
            thread.join(10 * 60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
