// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.memory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.ProcState;

/** The areas of the settings.c fixture, and what smaps says of them in a process. */
record SettingsFixture(Map<String, long[]> areas) {
    /** smaps' names of the flags an image keeps as area settings. */
    static final Set<String> SETTING_FLAGS = Set.of("hg", "nh", "dc", "wf", "dd", "mg", "rr", "sr", "lo", "lf", "nr", "gd");

    /** What the fixture sets: the test fails on a kernel that shows something else, not silently. */
    static final Map<String, Set<String>> EXPECTED = Map.of("huge", Set.of("hg"), "nohuge", Set.of("nh", "dc"),
            "wipe", Set.of("wf", "dd"), "locked", Set.of("lo"), "onfault", Set.of("lo", "lf"),
            "noreserve", Set.of("rr", "nr"), "seq", Set.of("sr"));

    static SettingsFixture of(FixtureProcess p) {
        Map<String, long[]> areas = new LinkedHashMap<>();
        for (String line : p.read("areas").strip().split("\n")) {
            String[] f = line.split(" ");
            areas.put(f[0], new long[] {Long.parseUnsignedLong(f[1], 16), Long.parseLong(f[2])});
        }
        return new SettingsFixture(areas);
    }

    /** Each area's setting flags in pid's smaps (the area must have the same bounds there). */
    Map<String, Set<String>> settings(int pid) {
        Map<String, Set<String>> out = new TreeMap<>();
        areas.forEach((name, a) -> {
            String flags = line(pid, a[0], a[0] + a[1], "VmFlags:");
            Set<String> kept = new TreeSet<>(List.of(flags.strip().split("\\s+")));
            kept.retainAll(SETTING_FLAGS);
            out.put(name, Set.copyOf(kept));
        });
        return out;
    }

    /** A kB field of the area's smaps entry. */
    long field(int pid, String area, String field) {
        long[] a = areas.get(area);
        return Long.parseLong(line(pid, a[0], a[0] + a[1], field + ":").strip().split("\\s+")[0]);
    }

    private static String line(int pid, long start, long end, String name) {
        String head = Long.toHexString(start) + "-" + Long.toHexString(end) + " ";
        boolean in = false;
        for (String line : ProcState.read(pid, "smaps").split("\n")) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                in = line.startsWith(head);
            } else if (in && line.startsWith(name)) {
                return line.substring(name.length());
            }
        }
        throw new AssertionError("pid " + pid + " has no area " + head + "with " + name);
    }
}
