// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code VmFlags} of every area in /proc/PID/smaps: the kernel's two-letter names of an
 * area's flags (hg for MADV_HUGEPAGE, lo for mlock, io for device memory, …), which /proc/PID/maps
 * does not show. Reading smaps walks the page tables of every area (about 15 ms per resident GiB
 * here), so callers read it where that walk overlaps other work.
 */
public record VmFlags(Map<Range, Set<String>> byArea) {

    /** An area's bounds, as maps and smaps print them. */
    public record Range(long start, long end) {
    }

    public VmFlags {
        byArea = Map.copyOf(byArea);
    }

    public static VmFlags read(int pid) {
        return parse(ProcPath.readString(pid, "smaps"));
    }

    public static VmFlags parse(String smaps) {
        Map<Range, Set<String>> out = new HashMap<>();
        Range current = null;
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
                out.put(current, codes.isEmpty() ? Set.of() : Set.copyOf(List.of(codes.split("\\s+"))));
            } else if (!line.isEmpty() && isAreaLine(line)) {
                int dash = line.indexOf('-');
                int sp = line.indexOf(' ');
                current = new Range(Long.parseUnsignedLong(line.substring(0, dash), 16),
                        Long.parseUnsignedLong(line.substring(dash + 1, sp), 16));
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

    /** The area's flags; null when smaps has no area with exactly these bounds. */
    public Set<String> of(long start, long end) {
        return byArea.get(new Range(start, end));
    }
}
