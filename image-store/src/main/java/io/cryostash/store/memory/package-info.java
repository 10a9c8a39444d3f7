// SPDX-License-Identifier: Apache-2.0
/**
 * Memory areas to chunks and back ({@link io.cryostash.store.memory.AreaChunker}), generic
 * over how memory is read and written so capture and restore plug in their own process access.
 */
package io.cryostash.store.memory;
