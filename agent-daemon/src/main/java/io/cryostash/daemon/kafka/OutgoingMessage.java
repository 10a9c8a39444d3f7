// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.kafka;

import java.util.Map;

/**
 * A message waiting to be sent: topic, key (the host id), headers and value, exactly as they will be
 * sent (the signature header covers the value bytes, so they are kept as bytes).
 */
public record OutgoingMessage(String topic, String key, Map<String, byte[]> headers, byte[] value) {
    public OutgoingMessage {
        headers = Map.copyOf(headers);
    }
}
