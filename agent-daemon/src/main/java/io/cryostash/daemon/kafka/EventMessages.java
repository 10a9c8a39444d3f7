// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

import io.cryostash.schema.event.CheckpointCompleted;
import io.cryostash.schema.event.CheckpointFailed;
import io.cryostash.schema.event.Event;
import io.cryostash.schema.event.EventCodec;
import io.cryostash.schema.event.RestoreStatus;
import io.cryostash.schema.event.Topics;
import io.cryostash.store.sign.HostKeys;

/**
 * Turns an agent's events into the messages the contract asks for: key = the reporting host, header
 * {@code cryostash-type}, and header {@code cryostash-signature} = base64 of the Ed25519 signature by
 * the host's enrolled key over the exact value bytes.
 */
public final class EventMessages {
    /** Contract: the catalog checks this header on every agent-to-catalog message. */
    public static final String HEADER_SIGNATURE = Topics.HEADER_SIGNATURE;

    private final String hostId;
    private final HostKeys keys;
    private final EventCodec codec = new EventCodec();

    public EventMessages(String hostId, HostKeys keys) {
        this.hostId = hostId;
        this.keys = keys;
    }

    public OutgoingMessage completed(CheckpointCompleted e) {
        return signed(Topics.CHECKPOINT_COMPLETED, CheckpointCompleted.TYPE, e);
    }

    public OutgoingMessage failed(CheckpointFailed e) {
        return signed(Topics.CHECKPOINT_FAILED, CheckpointFailed.TYPE, e);
    }

    public OutgoingMessage status(RestoreStatus e) {
        return signed(Topics.RESTORE_STATUS, RestoreStatus.TYPE, e);
    }

    private OutgoingMessage signed(String topic, String type, Event e) {
        java.util.List<String> problems = e.problems();
        if (!problems.isEmpty()) { // the catalog would park it; better to fail here, naming the field
            throw new IllegalArgumentException(type + " would be refused: " + String.join("; ", problems));
        }
        byte[] value = codec.encode(e);
        Map<String, byte[]> headers = new HashMap<>();
        headers.put(Topics.HEADER_TYPE, type.getBytes(StandardCharsets.UTF_8));
        headers.put(HEADER_SIGNATURE, Base64.getEncoder().encode(keys.sign(value)));
        return new OutgoingMessage(topic, hostId, headers, value);
    }

    /**
     * A request this agent gave up on, for the dead-letter topic: the original value and type with
     * the reason, the consumer group and the number of attempts (contract headers), signed as well.
     */
    public OutgoingMessage deadLetter(String originalTopic, String key, byte[] originalValue, String originalType,
                                      String reason, String consumerGroup, int attempts) {
        Map<String, byte[]> headers = new HashMap<>();
        if (originalType != null) headers.put(Topics.HEADER_TYPE, originalType.getBytes(StandardCharsets.UTF_8));
        headers.put(Topics.HEADER_ORIGINAL_TOPIC, originalTopic.getBytes(StandardCharsets.UTF_8));
        String r = reason.length() > 4000 ? reason.substring(0, 4000) + "…" : reason;
        headers.put(Topics.HEADER_REASON, r.getBytes(StandardCharsets.UTF_8));
        headers.put(Topics.HEADER_CONSUMER, consumerGroup.getBytes(StandardCharsets.UTF_8));
        headers.put(Topics.HEADER_ATTEMPTS, Integer.toString(attempts).getBytes(StandardCharsets.UTF_8));
        byte[] value = originalValue == null ? new byte[0] : originalValue;
        headers.put(HEADER_SIGNATURE, Base64.getEncoder().encode(keys.sign(value)));
        return new OutgoingMessage(Topics.DEAD_LETTER, key == null ? hostId : key, headers, value);
    }
}
