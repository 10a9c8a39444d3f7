// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.host;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CompatibilityTests {

    static Host host(String arch, List<String> flags, String vdso) {
        return new Host("h", "h", arch, "6.18", "cpu", flags, vdso, null, null, Instant.now(), true, Instant.now());
    }

    @Test
    void hostWithSameArchSupersetOfFlagsAndSameVdsoIsCompatible() {
        var c = Compatibility.of("x86_64", List.of("avx2", "sse2"), "v1", host("x86_64", List.of("sse2", "avx", "avx2", "aes"), "v1"));
        assertThat(c.compatible()).isTrue();
        assertThat(c.reasons()).isEmpty();
    }

    @Test
    void everyReasonIsNamed() {
        var c = Compatibility.of("x86_64", List.of("avx512f", "avx2", "sse2"), "v1", host("aarch64", List.of("sse2"), "v2"));
        assertThat(c.compatible()).isFalse();
        assertThat(c.reasons()).containsExactly(
                "architecture aarch64, image needs x86_64",
                "CPU lacks avx2, avx512f",
                "different vDSO (v2, image needs v1)");
    }

    @Test
    void hostThatNeverReportedIsNotOffered() {
        var c = Compatibility.of("x86_64", List.of(), "v1", host(null, List.of(), null));
        assertThat(c.reasons()).containsExactly("architecture unknown (no heartbeat with host details yet)", "vDSO fingerprint unknown");
    }

    @Test
    void imageWithoutAnArchitectureRunsNowhere() {
        var h = host("x86_64", List.of("sse2"), "v1");
        assertThat(Compatibility.of(null, List.of(), "v1", h).reasons()).containsExactly("image does not record its architecture");
        assertThat(Compatibility.of(" ", List.of(), "v1", h).compatible()).isFalse();
    }
}
