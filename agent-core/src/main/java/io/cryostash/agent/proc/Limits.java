// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.util.ArrayList;
import java.util.List;

import io.cryostash.schema.image.Rlimit;

/**
 * /proc/PID/limits. Read rather than prlimit(2): prlimit on a process of another uid needs
 * CAP_SYS_RESOURCE, which root lacks on some hosts.
 */
public final class Limits {
    /** Row titles in RLIMIT_* order (resource numbers 0..15). */
    private static final String[] NAMES = {"Max cpu time", "Max file size", "Max data size", "Max stack size",
            "Max core file size", "Max resident set", "Max processes", "Max open files", "Max locked memory",
            "Max address space", "Max file locks", "Max pending signals", "Max msgqueue size", "Max nice priority",
            "Max realtime priority", "Max realtime timeout"};

    private Limits() {
    }

    public static List<Rlimit> read(int pid) {
        return parse(ProcPath.readString(pid, "limits"));
    }

    public static List<Rlimit> parse(String text) {
        List<Rlimit> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            for (int r = 0; r < NAMES.length; r++) {
                if (line.startsWith(NAMES[r] + " ")) {
                    String[] f = line.substring(NAMES[r].length()).trim().split("\\s+");
                    out.add(new Rlimit(r, NAMES[r], value(f[0]), value(f[1])));
                }
            }
        }
        return out;
    }

    private static long value(String s) {
        return s.equals("unlimited") ? -1 : Long.parseUnsignedLong(s);
    }
}
