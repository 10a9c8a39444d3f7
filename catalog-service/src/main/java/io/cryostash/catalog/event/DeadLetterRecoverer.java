// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.event;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import io.cryostash.catalog.audit.AuditLog;
import io.cryostash.catalog.security.Actor;
import io.cryostash.schema.event.InvalidEventException;
import io.cryostash.schema.event.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.listener.ConsumerRecordRecoverer;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What happens to an event the catalog gave up on (at once for a refusal or an unreadable event,
 * after the retries for anything else): it goes to {@link Topics#DEAD_LETTER} with its key, value and
 * headers and the headers {@link Topics#HEADER_ORIGINAL_TOPIC}, {@link Topics#HEADER_REASON},
 * {@link Topics#HEADER_CONSUMER} and {@link Topics#HEADER_ATTEMPTS}, and the audit log says so. The
 * offset is committed only once the broker has the dead letter: if it cannot take it, the event is
 * tried again, never dropped.
 */
public class DeadLetterRecoverer implements ConsumerRecordRecoverer {

    private static final Logger log = LoggerFactory.getLogger(DeadLetterRecoverer.class);
    public static final String CONSUMER = "cryostash-catalog";
    static final int MAX_REASON = 4_000;

    private final DeadLetterPublishingRecoverer publisher;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final int retries;

    public DeadLetterRecoverer(KafkaOperations<String, byte[]> template, AuditLog audit, TransactionTemplate tx, int retries,
                               java.time.Duration sendTimeout) {
        this.audit = audit;
        this.tx = tx;
        this.retries = retries;
        this.publisher = new DeadLetterPublishingRecoverer(template, (r, e) -> new TopicPartition(Topics.DEAD_LETTER, -1));
        publisher.setHeadersFunction(this::headers);
        // The stack trace of a catalog exception is no business of whoever reads the dead letters.
        publisher.excludeHeader(DeadLetterPublishingRecoverer.HeaderNames.HeadersToAdd.EX_STACKTRACE);
        publisher.setWaitForSendResultTimeout(sendTimeout);
        publisher.setFailIfSendResultIsError(true);
    }

    /** Whether an exception means "never": no retry, straight to the dead letters. */
    public static boolean refusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EventRefusedException || t instanceof InvalidEventException) return true;
        }
        return false;
    }

    /** The message a person can act on: the innermost exception that is not a listener wrapper. */
    public static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t instanceof org.springframework.kafka.listener.ListenerExecutionFailedException
                || t.getMessage() == null)) {
            t = t.getCause();
        }
        String m = t instanceof EventRefusedException || t instanceof InvalidEventException ? t.getMessage() : t.toString();
        return m.length() > MAX_REASON ? m.substring(0, MAX_REASON) : m;
    }

    private int attempts(Exception e) {
        return refusal(e) ? 1 : retries + 1;
    }

    private Headers headers(ConsumerRecord<?, ?> r, Exception e) {
        Headers h = new RecordHeaders();
        h.add(Topics.HEADER_ORIGINAL_TOPIC, r.topic().getBytes(StandardCharsets.UTF_8));
        h.add(Topics.HEADER_REASON, reason(e).getBytes(StandardCharsets.UTF_8));
        h.add(Topics.HEADER_CONSUMER, CONSUMER.getBytes(StandardCharsets.UTF_8));
        h.add(Topics.HEADER_ATTEMPTS, String.valueOf(attempts(e)).getBytes(StandardCharsets.UTF_8));
        return h;
    }

    @Override
    public void accept(ConsumerRecord<?, ?> r, Exception e) {
        publisher.accept(r, e);
        String reason = reason(e);
        log.warn("Event on {} (key {}, partition {}, offset {}) dead-lettered after {} attempt(s): {}", r.topic(), r.key(),
                r.partition(), r.offset(), attempts(e), reason);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("topic", r.topic());
        d.put("key", String.valueOf(r.key()));
        d.put("partition", r.partition());
        d.put("offset", r.offset());
        d.put("attempts", attempts(e));
        d.put("reason", reason);
        // Recorded as the catalog's own act: the key names a host, but an event refused for its signature
        // proves nothing about who sent it.
        try {
            tx.executeWithoutResult(s -> audit.recordAs(Actor.system(), refusal(e) ? "event.refused" : "event.dead-lettered",
                    "event", r.topic() + "/" + r.partition() + "/" + r.offset(), d));
        } catch (RuntimeException auditFailed) {
            // The dead letter is on its topic (and will be listed): losing its audit line must not replay the event.
            log.error("Could not audit the dead letter of {}/{}/{}: {}", r.topic(), r.partition(), r.offset(), auditFailed.toString());
        }
    }
}
