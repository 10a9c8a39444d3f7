// SPDX-License-Identifier: Apache-2.0
/**
 * The image store: content-addressed, zstd-compressed chunks in self-describing packs, an index
 * of all chunks, and one Ed25519-signed manifest per image, on a directory or S3.
 *
 * <p>Start at {@link io.cryostash.store.repository.Repository}. Layering follows restic:
 * {@code backend} (objects), {@code pack} (one pack's bytes), {@code index} (where every chunk
 * is), {@code sign} (keys and the manifest envelope), {@code memory} (memory areas to chunks and
 * back), {@code repository} (composition: writing and reading images, GC), {@code check}
 * (read-only verification). The formats are in docs/store-format.md. Exceptions in this package
 * ({@link io.cryostash.store.IntegrityException} and subclasses) mean the store holds the
 * wrong thing, and carry the ids of what is wrong.
 */
package io.cryostash.store;
