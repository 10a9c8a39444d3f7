// SPDX-License-Identifier: Apache-2.0
/**
 * One pack's bytes: chunks as zstd frames followed by the pack's own index and trailer
 * ({@link io.cryostash.store.pack.PackFormat}). A leaf: knows nothing of indexes or images.
 */
package io.cryostash.store.pack;
