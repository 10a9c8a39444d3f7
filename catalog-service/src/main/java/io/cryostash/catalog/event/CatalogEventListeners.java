// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.event;

import java.io.IOException;
import java.io.UncheckedIOException;

import io.cryostash.catalog.image.CheckpointRegistrar;
import io.cryostash.catalog.restore.RestoreService;
import io.cryostash.catalog.restore.RestoreState;
import io.cryostash.catalog.security.AgentContext;
import io.cryostash.catalog.snapshot.SnapshotService;
import io.cryostash.catalog.system.ConflictException;
import io.cryostash.catalog.system.ForbiddenException;
import io.cryostash.catalog.system.InvalidRequestException;
import io.cryostash.catalog.system.NotFoundException;
import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.CheckpointFailed;
import io.cryostash.schema.event.Event;
import io.cryostash.schema.event.EventCodec;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.event.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.support.Acknowledgment;

/**
 * The catalog's consumers (group {@code cryostash-catalog}) of what agents report. Each message is
 * checked first (signature by the key its host enrolled, key = the event's host, a valid event),
 * then handled idempotently in the catalog's database, and only then its offset is committed. A
 * failure is retried with backoff and then dead-lettered ({@link DeadLetterRecoverer}); a refusal is
 * dead-lettered at once.
 */
public class CatalogEventListeners {

    private static final Logger log = LoggerFactory.getLogger(CatalogEventListeners.class);
    public static final String GROUP = "cryostash-catalog";

    private final MessageSignatures signatures;
    private final CheckpointRegistrar registrar;
    private final SnapshotService snapshots;
    private final RestoreService restores;
    private final EventCodec codec = new EventCodec();

    public CatalogEventListeners(MessageSignatures signatures, CheckpointRegistrar registrar, SnapshotService snapshots,
                                 RestoreService restores) {
        this.signatures = signatures;
        this.registrar = registrar;
        this.snapshots = snapshots;
        this.restores = restores;
    }

    private <T extends Event> T read(ConsumerRecord<String, byte[]> r, String type, Class<T> kind, java.util.function.Function<T, String> hostOf) {
        String host = signatures.verify(r, type);
        T event = codec.decode(r.value(), kind);
        if (!host.equals(hostOf.apply(event))) {
            throw new EventRefusedException(type + " from host " + host + " speaks for host " + hostOf.apply(event));
        }
        return event;
    }

    @KafkaListener(id = "catalog-checkpoint-completed", topics = Topics.CHECKPOINT_COMPLETED, groupId = GROUP,
            containerFactory = "pipelineListenerFactory", autoStartup = "#{@catalogStore.configured()}")
    public void checkpointCompleted(ConsumerRecord<String, byte[]> r, Acknowledgment ack) {
        CheckpointCompleted e = read(r, CheckpointCompleted.TYPE, CheckpointCompleted.class, CheckpointCompleted::hostId);
        AgentContext.runAs(e.hostId(), () -> {
            try {
                var registered = registrar.register(e);
                log.info("Image {} of host {} (job {}): {}, {} ms after the agent sent it", e.imageId(), e.hostId(), e.job(),
                        registered.outcome(), System.currentTimeMillis() - r.timestamp());
                return registered;
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            } catch (InvalidRequestException | ConflictException | ForbiddenException ex) {
                // What the manifest says does not pass the catalog's checks, the id is registered with
                // another manifest or as another host's image: a retry would not change that.
                throw new EventRefusedException("image " + e.imageId() + ": " + ex.getMessage(), ex);
            }
        });
        ack.acknowledge();
    }

    @KafkaListener(id = "catalog-checkpoint-failed", topics = Topics.CHECKPOINT_FAILED, groupId = GROUP,
            containerFactory = "pipelineListenerFactory")
    public void checkpointFailed(ConsumerRecord<String, byte[]> r, Acknowledgment ack) {
        CheckpointFailed e = read(r, CheckpointFailed.TYPE, CheckpointFailed.class, CheckpointFailed::hostId);
        AgentContext.runAs(e.hostId(), () -> {
            snapshots.failed(e);
            return null;
        });
        ack.acknowledge();
    }

    @KafkaListener(id = "catalog-restore-status", topics = Topics.RESTORE_STATUS, groupId = GROUP,
            containerFactory = "pipelineListenerFactory")
    public void restoreStatus(ConsumerRecord<String, byte[]> r, Acknowledgment ack) {
        RestoreStatus e = read(r, RestoreStatus.TYPE, RestoreStatus.class, RestoreStatus::hostId);
        AgentContext.runAs(e.hostId(), () -> {
            try {
                restores.report(e.restoreRequestId(), RestoreState.valueOf(e.state()), e.pid(), e.error());
                log.debug("restore.status {} for request {} applied {} ms after the agent sent it", e.state(),
                        e.restoreRequestId(), System.currentTimeMillis() - r.timestamp());
            } catch (ConflictException late) {
                // A state that would move a finished request (e.g. RUNNING after COMPLETED): applied once, ignored after.
                log.info("Ignoring restore.status {} for request {}: {}", e.state(), e.restoreRequestId(), late.getMessage());
            } catch (NotFoundException | InvalidRequestException | ForbiddenException ex) {
                throw new EventRefusedException("restore.status for request " + e.restoreRequestId() + ": " + ex.getMessage(), ex);
            }
            return null;
        });
        ack.acknowledge();
    }
}
