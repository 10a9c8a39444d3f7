// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.event;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * JSON for events, with the same rules on both sides: unknown fields are ignored (a newer minor
 * version may add some), a missing primitive is an error, and every decoded event must pass its
 * {@code problems()} check, so a handler never sees an event it cannot act on.
 */
public final class EventCodec {

    /** Kafka's default message limit is 1 MiB; events are pointers and stay far below it. */
    public static final int MAX_BYTES = 256 * 1024;

    private final ObjectMapper mapper = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    public byte[] encode(Event event) {
        try {
            return mapper.writeValueAsBytes(event);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot encode " + event.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** Decodes and validates; throws {@link InvalidEventException} naming what is wrong. */
    public <T extends Event> T decode(byte[] json, Class<T> type) {
        if (json == null) throw new InvalidEventException(type.getSimpleName() + ": empty message");
        if (json.length > MAX_BYTES) {
            throw new InvalidEventException(type.getSimpleName() + ": " + json.length + " bytes, more than " + MAX_BYTES);
        }
        T event;
        try {
            event = mapper.readValue(json, type);
        } catch (IOException e) {
            throw new InvalidEventException(type.getSimpleName() + ": not readable: " + firstLine(e.getMessage()));
        }
        if (event == null) throw new InvalidEventException(type.getSimpleName() + ": null");
        List<String> problems = event.problems();
        if (!problems.isEmpty()) throw new InvalidEventException(type.getSimpleName() + ": " + String.join("; ", problems));
        return event;
    }

    public <T extends Event> T decode(String json, Class<T> type) {
        return decode(json == null ? null : json.getBytes(StandardCharsets.UTF_8), type);
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
