// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.backend;

import java.time.Instant;

/**
 * What a back end knows about an object without reading it. The modification time is what
 * garbage collection uses to leave alone the fresh packs of a capture still in progress.
 */
public record ObjectInfo(String name, long size, Instant modified) {
}
