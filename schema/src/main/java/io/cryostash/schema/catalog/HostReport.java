// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.ArrayList;
import java.util.List;

/**
 * An agent's heartbeat, sent to {@code PUT /api/hosts/{hostId}/heartbeat}: what the host is, so that
 * the catalog can tell which images it can run. Every field may be null (the catalog then keeps what
 * it knew); a field that is present must pass {@link #problems()}.
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

    /** Everything wrong with this report, one line per problem ("field: message"); empty when valid. */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        TextChecks.text(out, "name", name, 200);
        TextChecks.matches(out, "arch", arch, TextChecks.ARCH, "1 to 32 letters, digits or _ as uname -m prints it");
        TextChecks.matches(out, "kernel", kernel, TextChecks.KERNEL, "1 to 64 printable ASCII characters without spaces, as uname -r prints it");
        TextChecks.text(out, "cpuModel", cpuModel, 256);
        TextChecks.cpuFlags(out, "cpuFlags", cpuFlags);
        TextChecks.matches(out, "vdsoFingerprint", vdsoFingerprint, TextChecks.FINGERPRINT, "1 to 256 letters, digits or . _ : + / = -");
        TextChecks.matches(out, "captureAgentVersion", captureAgentVersion, TextChecks.VERSION, "1 to 64 letters, digits or . _ + -");
        TextChecks.matches(out, "restoreAgentVersion", restoreAgentVersion, TextChecks.VERSION, "1 to 64 letters, digits or . _ + -");
        return out;
    }
}
