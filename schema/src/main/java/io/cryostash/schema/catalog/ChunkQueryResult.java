// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.List;

/** Answer to {@link ChunkQuery}: the keys the store already has, and those it lacks (both in query order). */
public record ChunkQueryResult(List<String> known, List<String> missing) {
}
