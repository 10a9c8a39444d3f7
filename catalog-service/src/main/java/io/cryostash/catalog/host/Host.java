// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.host;

import java.time.Instant;
import java.util.List;

/**
 * A machine with agents, and whether it sent a heartbeat recently enough to count as online.
 * {@code keyFingerprint} identifies the signing key it enrolled ({@code KeyFingerprint}), null when
 * it has none (never enrolled, or reset by an administrator).
 */
public record Host(String id, String name, String arch, String kernel, String cpuModel, List<String> cpuFlags,
                   String vdsoFingerprint, String captureAgentVersion, String restoreAgentVersion,
                   Instant lastHeartbeat, boolean online, Instant createdAt, String keyFingerprint,
                   Instant keyEnrolledAt) {

    /** A host as known before any key (tests, and hosts an administrator announced). */
    public Host(String id, String name, String arch, String kernel, String cpuModel, List<String> cpuFlags,
                String vdsoFingerprint, String captureAgentVersion, String restoreAgentVersion,
                Instant lastHeartbeat, boolean online, Instant createdAt) {
        this(id, name, arch, kernel, cpuModel, cpuFlags, vdsoFingerprint, captureAgentVersion, restoreAgentVersion,
                lastHeartbeat, online, createdAt, null, null);
    }
}
