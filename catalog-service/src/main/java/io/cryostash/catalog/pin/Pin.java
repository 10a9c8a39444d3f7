// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.pin;

import java.time.Instant;

/** A legal hold on an image: retention never expires it and deletion refuses it until it is unpinned. */
public record Pin(String imageId, String job, String hostId, Instant capturedAt, Instant pinnedAt, String pinnedBy,
                  String reason) {
}
