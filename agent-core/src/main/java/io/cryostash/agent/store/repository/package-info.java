/**
 * The store as the agents use it: {@link io.cryostash.agent.store.repository.Repository},
 * {@link io.cryostash.agent.store.repository.ImageWriter} for capture,
 * {@link io.cryostash.agent.store.repository.ChunkStore} and
 * {@link io.cryostash.agent.store.repository.FileStore} for reading, and garbage collection.
 */
package io.cryostash.agent.store.repository;
