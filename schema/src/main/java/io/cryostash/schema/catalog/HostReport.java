package io.cryostash.schema.catalog;

import java.util.List;

/**
 * An agent's heartbeat, sent to {@code PUT /api/hosts/{hostId}/heartbeat}: what the host is, so that
 * the catalog can tell which images it can run.
 */
public record HostReport(
        String name,
        String arch,
        String kernel,
        String cpuModel,
        List<String> cpuFlags,
        String vdsoFingerprint,
        String captureAgentVersion,
        String restoreAgentVersion) {
}
