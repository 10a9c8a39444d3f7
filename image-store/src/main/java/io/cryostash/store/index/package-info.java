// SPDX-License-Identifier: Apache-2.0
/**
 * Where every chunk is: the in-memory {@link io.cryostash.store.index.ChunkIndex} and the
 * {@code index/} objects it is loaded from, which can be rebuilt from the packs alone.
 */
package io.cryostash.store.index;
