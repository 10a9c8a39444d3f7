// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.VmFlags;
import io.cryostash.capture.CaptureException;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MemoryArea.Kind;
import io.cryostash.schema.image.MemoryArea.Setting;

/**
 * What smaps' {@code VmFlags} say about each area: the settings an image keeps (madvise advice,
 * mlock, MAP_NORESERVE, MAP_GROWSDOWN), and the kinds of memory a restore could not rebuild,
 * which make the capture refuse, naming the area (device memory, hugetlb pages, a shadow stack,
 * a sealed area, MAP_SYNC). Flags that only say what the permissions say (rd, mr, …), what the
 * kernel does on its own (ac, sd, soft-dirty and accounting) or what Cryostash itself set
 * (the userfaultfd write tracking: uw, um, ui) are not settings.
 */
public final class AreaSettings {
    private static final Map<String, Setting> SETTINGS = Map.ofEntries(
            Map.entry("hg", Setting.HUGEPAGE), Map.entry("nh", Setting.NOHUGEPAGE),
            Map.entry("dc", Setting.DONTFORK), Map.entry("wf", Setting.WIPEONFORK),
            Map.entry("dd", Setting.DONTDUMP), Map.entry("mg", Setting.MERGEABLE),
            Map.entry("rr", Setting.RANDOM), Map.entry("sr", Setting.SEQUENTIAL),
            Map.entry("lo", Setting.LOCKED), Map.entry("lf", Setting.LOCKED_ON_FAULT),
            Map.entry("nr", Setting.NORESERVE), Map.entry("gd", Setting.GROWSDOWN));

    /** Flags of memory a restore cannot rebuild, and what to call them. */
    private static final Map<String, String> UNSUPPORTED = Map.of(
            "io", "device memory (VM_IO)",
            "pf", "device memory (VM_PFNMAP)",
            "mm", "device memory (VM_MIXEDMAP)",
            "ht", "hugetlb pages",
            "ss", "a shadow stack",
            "sl", "sealed (mseal)",
            "sf", "mapped with MAP_SYNC");

    private AreaSettings() {
    }

    /** Every area's settings by start address; throws naming each area Cryostash cannot save. */
    public static Map<Long, Set<Setting>> of(int pid, List<MapsEntry> maps, VmFlags flags) {
        List<String> problems = problems(pid, maps, flags);
        if (!problems.isEmpty()) {
            throw new CaptureException("pid " + pid + " has memory Cryostash cannot save, so it is not captured, and"
                    + " not killed; it runs on:\n  " + String.join("\n  ", problems));
        }
        Map<Long, Set<Setting>> out = new java.util.HashMap<>();
        for (MapsEntry e : maps) {
            Set<String> codes = flags.of(e.start(), e.end());
            if (codes != null && kept(pid, e)) {
                Set<Setting> s = settings(codes);
                if (!s.isEmpty()) {
                    out.put(e.start(), s);
                }
            }
        }
        return out;
    }

    /** One line per area that cannot be saved; empty when all can. */
    public static List<String> problems(int pid, List<MapsEntry> maps, VmFlags flags) {
        List<String> out = new ArrayList<>();
        for (MapsEntry e : maps) {
            if (!kept(pid, e)) {
                continue;
            }
            Set<String> codes = flags.of(e.start(), e.end());
            if (codes == null) {
                out.add("area " + describe(e) + " is in its maps but not in its smaps (its layout changed while it"
                        + " was read)");
                continue;
            }
            List<String> what = codes.stream().filter(UNSUPPORTED::containsKey).sorted().map(UNSUPPORTED::get)
                    .toList();
            if (codes.contains("gd") && MemoryCapture.classify(pid, e) != Kind.ANONYMOUS) {
                what = new ArrayList<>(what);
                what.add("a growing-down mapping of a file");
            }
            if (!what.isEmpty()) {
                out.add("area " + describe(e) + " is " + String.join(", ", what)
                        + ", which a restore could not rebuild");
            }
        }
        return out;
    }

    static Set<Setting> settings(Set<String> codes) {
        EnumSet<Setting> s = EnumSet.noneOf(Setting.class);
        for (String c : codes) {
            Setting one = SETTINGS.get(c);
            if (one != null) {
                s.add(one);
            }
        }
        if (s.contains(Setting.LOCKED_ON_FAULT)) {
            s.remove(Setting.LOCKED); // mlock2(MLOCK_ONFAULT) sets both flags
        }
        return s;
    }

    /** The vDSO and vvar pages carry device flags of their own; restore places the host's. */
    private static boolean kept(int pid, MapsEntry e) {
        Kind kind = MemoryCapture.classify(pid, e);
        return kind != null && kind != Kind.VDSO && kind != Kind.VVAR;
    }

    private static String describe(MapsEntry e) {
        return "0x" + Long.toHexString(e.start()) + "-0x" + Long.toHexString(e.end()) + " " + e.perms()
                + (e.path() != null ? " " + e.path() : "");
    }

    /** The captured areas with their settings. */
    public static List<CapturedArea> apply(List<CapturedArea> areas, Map<Long, Set<Setting>> settings) {
        if (settings.isEmpty()) {
            return areas;
        }
        List<CapturedArea> out = new ArrayList<>(areas.size());
        for (CapturedArea c : areas) {
            Set<Setting> s = settings.get(c.area().start());
            if (s == null) {
                out.add(c);
                continue;
            }
            MemoryArea a = c.area();
            out.add(new CapturedArea(new MemoryArea(a.start(), a.end(), a.perms(), a.fileOffset(), a.path(), a.kind(),
                    a.content(), s), c.runs(), c.parent(), c.present(), c.reread()));
        }
        return out;
    }
}
