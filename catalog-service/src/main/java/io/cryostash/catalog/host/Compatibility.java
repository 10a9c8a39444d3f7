// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.host;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether a host can run an image: same architecture (an image that records none fits no host), every CPU feature the image used, the same
 * vDSO (glibc caches vDSO function addresses, so a restored program needs the very same one).
 * {@code reasons} says why not, one line each; empty when the host is compatible.
 */
public record Compatibility(Host host, List<String> reasons) {

    public boolean compatible() {
        return reasons.isEmpty();
    }

    public static Compatibility of(String imageArch, Collection<String> imageCpuFlags, String imageVdso, Host host) {
        List<String> reasons = new ArrayList<>();
        // An image that does not say what it was captured on cannot be shown to fit anywhere: its
        // registers and code are for one instruction set, and guessing wrong crashes the restore.
        if (imageArch == null || imageArch.isBlank()) {
            reasons.add("image does not record its architecture");
        }
        if (host.arch() == null) {
            reasons.add("architecture unknown (no heartbeat with host details yet)");
        } else if (imageArch != null && !imageArch.isBlank() && !imageArch.equals(host.arch())) {
            reasons.add("architecture " + host.arch() + ", image needs " + imageArch);
        }
        Set<String> missing = new TreeSet<>(imageCpuFlags == null ? Set.of() : imageCpuFlags);
        missing.removeAll(host.cpuFlags() == null ? Set.of() : Set.copyOf(host.cpuFlags()));
        if (!missing.isEmpty()) {
            reasons.add("CPU lacks " + String.join(", ", missing));
        }
        if (imageVdso != null) {
            if (host.vdsoFingerprint() == null) {
                reasons.add("vDSO fingerprint unknown");
            } else if (!imageVdso.equals(host.vdsoFingerprint())) {
                reasons.add("different vDSO (" + abbreviate(host.vdsoFingerprint()) + ", image needs " + abbreviate(imageVdso) + ")");
            }
        }
        return new Compatibility(host, List.copyOf(reasons));
    }

    private static String abbreviate(String s) {
        return s.length() <= 12 ? s : s.substring(0, 12) + "…";
    }
}
