// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.List;

/** {@code POST /api/chunks/query}: "which of these chunk keys do you have?" (hex keys, at most 100,000). */
public record ChunkQuery(List<String> keys) {
    public static final int MAX_KEYS = 100_000;
}
