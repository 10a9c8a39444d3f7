// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.VmFlags;
import io.cryostash.capture.CaptureException;
import io.cryostash.schema.image.MemoryArea.Setting;

class AreaSettingsTest {
    private static final String MAPS = "10000-20000 rw-p 00000000 00:00 0 \n"
            + "30000-40000 rw-p 00000000 00:00 0 \n"
            + "50000-60000 rw-s 00000000 00:05 7   /dev/fb0\n"
            + "7ffff7ff0000-7ffff7ff2000 r--p 00000000 00:00 0   [vvar]\n";

    private static VmFlags flags(String first, String second, String third) {
        return VmFlags.parse("10000-20000 rw-p 00000000 00:00 0 \nVmFlags: " + first + "\n"
                + "30000-40000 rw-p 00000000 00:00 0 \nVmFlags: " + second + "\n"
                + "50000-60000 rw-s 00000000 00:05 7   /dev/fb0\nVmFlags: " + third + "\n"
                + "7ffff7ff0000-7ffff7ff2000 r--p 00000000 00:00 0   [vvar]\nVmFlags: rd mr pf io de dd \n");
    }

    @Test
    void adviceLocksAndMapFlagsBecomeSettingsAndWhatThePermissionsSayDoesNot() {
        List<MapsEntry> maps = Maps.parse(MAPS);
        Map<Long, Set<Setting>> s = AreaSettings.of(1, maps,
                flags("rd wr mr mw me ac hg dc dd sd uw", "rd wr mr mw me lo lf nr rr", "rd wr sh mr mw me ms"));
        assertThat(s.get(0x10000L)).containsExactlyInAnyOrder(Setting.HUGEPAGE, Setting.DONTFORK, Setting.DONTDUMP);
        assertThat(s.get(0x30000L)).as("mlock2(MLOCK_ONFAULT) shows lo and lf: one setting")
                .containsExactlyInAnyOrder(Setting.LOCKED_ON_FAULT, Setting.NORESERVE, Setting.RANDOM);
        assertThat(s).as("no settings: no entry; the vvar page's device flags are the kernel's").hasSize(2);
    }

    @Test
    void deviceMemoryIsRefusedNamingTheArea() {
        List<MapsEntry> maps = Maps.parse(MAPS);
        assertThatThrownBy(() -> AreaSettings.of(42, maps, flags("rd wr", "rd wr sl", "rd wr sh io pf")))
                .isInstanceOf(CaptureException.class)
                .hasMessageContaining("pid 42")
                .hasMessageContaining("0x50000-0x60000 rw-s /dev/fb0 is device memory (VM_IO), device memory (VM_PFNMAP)")
                .hasMessageContaining("0x30000-0x40000 rw-p is sealed (mseal)")
                .hasMessageContaining("not killed");
    }

    @Test
    void anAreaMissingFromSmapsIsALayoutThatChangedAndIsRefused() {
        List<MapsEntry> maps = Maps.parse(MAPS);
        VmFlags fewer = VmFlags.parse("10000-20000 rw-p 00000000 00:00 0 \nVmFlags: rd wr\n");
        assertThat(AreaSettings.problems(1, maps, fewer)).hasSize(2)
                .allMatch(p -> p.contains("not in its smaps"));
    }
}
