// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.host;

import java.time.Instant;
import java.util.List;

/** A machine with agents, and whether it sent a heartbeat recently enough to count as online. */
public record Host(String id, String name, String arch, String kernel, String cpuModel, List<String> cpuFlags,
                   String vdsoFingerprint, String captureAgentVersion, String restoreAgentVersion,
                   Instant lastHeartbeat, boolean online, Instant createdAt) {
}
