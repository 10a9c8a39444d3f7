// SPDX-License-Identifier: Apache-2.0
/**
 * The store as the agents use it: {@link io.cryostash.store.repository.Repository},
 * {@link io.cryostash.store.repository.ImageWriter} for capture,
 * {@link io.cryostash.store.repository.ChunkStore} and
 * {@link io.cryostash.store.repository.FileStore} for reading, and garbage collection.
 */
package io.cryostash.store.repository;
