// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.util.List;

/**
 * Topic names. Every message's key is a host id: the host an event asks to act (requests) or the
 * host that reports (completions, status). Keying by host keeps one host's events in order.
 */
public final class Topics {

    /** {@link SnapshotRequested}, catalog to agent. */
    public static final String SNAPSHOT_REQUESTED = "cryostash.snapshot.requested";
    /** {@link CheckpointCompleted}, agent to catalog. */
    public static final String CHECKPOINT_COMPLETED = "cryostash.checkpoint.completed";
    /** {@link CheckpointFailed}, agent to catalog. */
    public static final String CHECKPOINT_FAILED = "cryostash.checkpoint.failed";
    /** {@link RestoreRequested}, catalog to agent. */
    public static final String RESTORE_REQUESTED = "cryostash.restore.requested";
    /** {@link RestoreStatus}, agent to catalog. */
    public static final String RESTORE_STATUS = "cryostash.restore.status";
    /**
     * Events a consumer gave up on after its retries: the original value, with headers
     * {@link #HEADER_ORIGINAL_TOPIC}, {@link #HEADER_REASON}, {@link #HEADER_CONSUMER} and
     * {@link #HEADER_ATTEMPTS}. The catalog lists them.
     */
    public static final String DEAD_LETTER = "cryostash.dead-letter";

    /**
     * The event type of a message (e.g. {@link RestoreRequested#TYPE}), for topics that carry more than one
     * record type; set on every message.
     */
    public static final String HEADER_TYPE = "cryostash-type";
    /**
     * On every agent-to-catalog message: base64 of the Ed25519 signature, by the key the reporting
     * host enrolled, over the exact bytes of the message value.
     */
    public static final String HEADER_SIGNATURE = "cryostash-signature";
    public static final String HEADER_ORIGINAL_TOPIC = "cryostash-original-topic";
    public static final String HEADER_REASON = "cryostash-reason";
    public static final String HEADER_CONSUMER = "cryostash-consumer";
    public static final String HEADER_ATTEMPTS = "cryostash-attempts";

    public static final List<String> ALL = List.of(SNAPSHOT_REQUESTED, CHECKPOINT_COMPLETED, CHECKPOINT_FAILED,
            RESTORE_REQUESTED, RESTORE_STATUS, DEAD_LETTER);

    private Topics() {
    }
}
