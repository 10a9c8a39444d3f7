/**
 * Where every chunk is: the in-memory {@link io.cryostash.agent.store.index.ChunkIndex} and the
 * {@code index/} objects it is loaded from, which can be rebuilt from the packs alone.
 */
package io.cryostash.agent.store.index;
