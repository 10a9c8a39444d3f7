// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Selected lines of /proc/PID/status. */
public record ProcStatus(int[] uids, int[] gids, List<Integer> groups, int umask, long sigBlocked,
                         long sigIgnored, long sigCaught) {

    public static ProcStatus read(int pid) {
        return parse(ProcPath.readString(pid, "status"));
    }

    public static ProcStatus parse(String text) {
        Map<String, String> m = new HashMap<>();
        for (String line : text.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                m.put(line.substring(0, c), line.substring(c + 1).trim());
            }
        }
        List<Integer> groups = new ArrayList<>();
        String g = m.getOrDefault("Groups", "");
        for (String s : g.split("\\s+")) {
            if (!s.isEmpty()) {
                groups.add(Integer.parseInt(s));
            }
        }
        return new ProcStatus(ints(m.get("Uid")), ints(m.get("Gid")), groups,
                Integer.parseInt(m.getOrDefault("Umask", "0022"), 8),
                Long.parseUnsignedLong(m.getOrDefault("SigBlk", "0"), 16),
                Long.parseUnsignedLong(m.getOrDefault("SigIgn", "0"), 16),
                Long.parseUnsignedLong(m.getOrDefault("SigCgt", "0"), 16));
    }

    private static int[] ints(String s) {
        String[] p = s.trim().split("\\s+");
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Integer.parseInt(p[i]);
        }
        return out;
    }
}
