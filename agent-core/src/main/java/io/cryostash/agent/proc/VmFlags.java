// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code VmFlags} of every area in /proc/PID/smaps: the kernel's two-letter names of an
 * area's flags (hg for MADV_HUGEPAGE, lo for mlock, io for device memory, …), which /proc/PID/maps
 * does not show. Reading smaps walks the page tables of every area (about 20 ms per resident
 * GiB here).
 */
public final class VmFlags {
    private record Area(long end, Set<String> codes) {
    }

    private final NavigableMap<Long, Area> byStart;

    private VmFlags(NavigableMap<Long, Area> byStart) {
        this.byStart = byStart;
    }

    public static VmFlags read(int pid) {
        return parse(ProcPath.readLarge(pid, "smaps"));
    }

    public static VmFlags parse(String smaps) {
        NavigableMap<Long, Area> out = new TreeMap<>();
        MapsEntry current = null;
        int at = 0;
        while (at < smaps.length()) {
            int nl = smaps.indexOf('\n', at);
            String line = smaps.substring(at, nl < 0 ? smaps.length() : nl);
            at = nl < 0 ? smaps.length() : nl + 1;
            if (line.startsWith("VmFlags:")) {
                if (current == null) {
                    throw new IllegalArgumentException("smaps has VmFlags before any area");
                }
                String codes = line.substring("VmFlags:".length()).strip();
                out.put(current.start(), new Area(current.end(),
                        codes.isEmpty() ? Set.of() : Set.copyOf(List.of(codes.split("\\s+")))));
            } else if (!line.isEmpty() && isAreaLine(line)) {
                current = Maps.parse(line).get(0);
            }
        }
        return new VmFlags(out);
    }

    /** "start-end perms …": the first word is a hex range, where field lines start with a name and a colon. */
    private static boolean isAreaLine(String line) {
        int sp = line.indexOf(' ');
        int dash = line.indexOf('-');
        return sp > 0 && dash > 0 && dash < sp && line.charAt(sp - 1) != ':';
    }

    /**
     * The flags of the area holding {@code [start, end)}; null when no single area does. The
     * freeze reads maps and smaps back to back, so their bounds agree; holding rather than equal
     * bounds also accepts an area the kernel merged with a neighbour in between.
     */
    public Set<String> of(long start, long end) {
        Map.Entry<Long, Area> e = byStart.floorEntry(start);
        return e == null || Long.compareUnsigned(end, e.getValue().end()) > 0 ? null : e.getValue().codes();
    }

    public int size() {
        return byStart.size();
    }
}
