// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Turns a request body Jackson could not read into one "path: message" line that names the field
 * (e.g. {@code chunks[3].storedBytes: must be a whole number}), instead of "Failed to read request".
 */
final class UnreadableBody {

    private static final Map<Class<?>, String> KINDS = Map.ofEntries(
            Map.entry(long.class, "a whole number"), Map.entry(Long.class, "a whole number"),
            Map.entry(int.class, "a whole number"), Map.entry(Integer.class, "a whole number"),
            Map.entry(short.class, "a whole number"), Map.entry(Short.class, "a whole number"),
            Map.entry(double.class, "a number"), Map.entry(Double.class, "a number"),
            Map.entry(boolean.class, "true or false"), Map.entry(Boolean.class, "true or false"),
            Map.entry(String.class, "a string"),
            Map.entry(java.time.Instant.class, "an ISO-8601 time between 0001-01-01 and 9999-12-31 such as 2026-01-31T12:00:00Z"));

    private UnreadableBody() {
    }

    /** The problem line for {@code cause} (the cause of an HttpMessageNotReadableException, possibly null). */
    static String describe(Throwable cause) {
        if (cause instanceof UnrecognizedPropertyException u) {
            return path(u) + ": unknown field";
        }
        if (cause instanceof InvalidFormatException f && f.getTargetType() == String.class
                && String.valueOf(f.getValue()).indexOf('\0') >= 0) {
            return path(f) + ": must not contain NUL characters";
        }
        if (cause instanceof InvalidFormatException f) {
            return path(f) + ": must be " + kind(f.getTargetType()) + ", not " + shown(f.getValue());
        }
        if (cause instanceof MismatchedInputException m) {
            String path = path(m);
            String kind = kind(m.getTargetType());
            // A missing or null value for a number field (FAIL_ON_NULL_FOR_PRIMITIVES): required.
            if (m.getTargetType() != null && m.getTargetType().isPrimitive()
                    && (m.getCurrentToken() == null || m.getCurrentToken().isStructEnd()
                        || m.getCurrentToken() == tools.jackson.core.JsonToken.VALUE_NULL
                        || m.getOriginalMessage().contains("null") || m.getOriginalMessage().contains("Missing"))) {
                return path + ": is required (" + kind + ")";
            }
            return path + ": must be " + kind;
        }
        if (cause instanceof StreamReadException s) {
            TokenStreamLocation at = s.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            return "body: is not well-formed JSON" + where;
        }
        if (cause instanceof JacksonException j) {
            return path(j) + ": " + j.getOriginalMessage();
        }
        return "body: is missing or not JSON (send Content-Type: application/json and a JSON object)";
    }

    /** "chunks[3].storedBytes" from Jackson's reference path; "body" for the document itself. */
    static String path(JacksonException e) {
        StringBuilder b = new StringBuilder();
        for (JacksonException.Reference r : e.getPath()) {
            if (r.getPropertyName() != null) {
                if (!b.isEmpty()) b.append('.');
                b.append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.isEmpty() ? "body" : b.toString();
    }

    private static String kind(Class<?> type) {
        if (type == null) return "of another type";
        if (type.isEnum()) {
            return "one of " + java.util.Arrays.stream(type.getEnumConstants()).map(Object::toString).toList();
        }
        String k = KINDS.get(type);
        if (k != null) return k;
        if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) return "a JSON array";
        if (Map.class.isAssignableFrom(type) || type.isRecord()) return "a JSON object";
        return "a " + type.getSimpleName();
    }

    private static String shown(Object value) {
        String s = String.valueOf(value).replace("\0", "\\0");
        return "\"" + (s.length() > 40 ? s.substring(0, 40) + "…" : s) + "\"";
    }
}
