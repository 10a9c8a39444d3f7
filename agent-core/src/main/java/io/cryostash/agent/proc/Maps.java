// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.util.ArrayList;
import java.util.List;

/** Parser for /proc/PID/maps. */
public final class Maps {
    private Maps() {
    }

    public static List<MapsEntry> read(int pid) {
        return parse(ProcPath.readString(pid, "maps"));
    }

    public static List<MapsEntry> parse(String text) {
        List<MapsEntry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            // start-end perms offset dev inode [path]; the path may contain spaces
            int i = 0;
            int sp1 = line.indexOf(' ');
            String range = line.substring(0, sp1);
            int dash = range.indexOf('-');
            long start = Long.parseUnsignedLong(range.substring(0, dash), 16);
            long end = Long.parseUnsignedLong(range.substring(dash + 1), 16);
            i = sp1 + 1;
            String perms = line.substring(i, i + 4);
            i += 5;
            int sp = line.indexOf(' ', i);
            long offset = Long.parseUnsignedLong(line.substring(i, sp), 16);
            i = sp + 1;
            sp = line.indexOf(' ', i);
            String dev = line.substring(i, sp);
            int colon = dev.indexOf(':');
            int major = Integer.parseInt(dev.substring(0, colon), 16);
            int minor = Integer.parseInt(dev.substring(colon + 1), 16);
            i = sp + 1;
            sp = line.indexOf(' ', i);
            long inode = Long.parseLong(sp < 0 ? line.substring(i) : line.substring(i, sp));
            String path = null;
            if (sp >= 0) {
                String rest = line.substring(sp).strip();
                path = rest.isEmpty() ? null : rest;
            }
            out.add(new MapsEntry(start, end, perms, offset, major, minor, inode, path));
        }
        return out;
    }
}
