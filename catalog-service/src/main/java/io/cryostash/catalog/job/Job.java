// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.job;

import java.time.Instant;
import java.util.Map;

/** A named thing to snapshot on a host: a pid or a command-line pattern, with labels. */
public record Job(long id, String hostId, String name, Integer pid, String commandPattern,
                  Map<String, String> labels, Instant createdAt) {
}
