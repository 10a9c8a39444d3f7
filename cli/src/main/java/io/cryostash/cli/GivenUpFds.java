// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.cryostash.capture.FdLosses;

/**
 * The descriptors one of {@code --close-fd} / {@code --redirect-fd} gives up: bare numbers are
 * the checkpointed process's own, {@code PID:FD} those of process PID (another process of a
 * tree with {@code --tree}; the checkpointed process's own pid is the same as a bare number).
 *
 * @param own    descriptors of the process named on the command line
 * @param others descriptors of other processes, by pid
 */
record GivenUpFds(Set<Integer> own, Map<Integer, Set<Integer>> others) {
    static GivenUpFds parse(String option, List<String> values, int pid) {
        Set<Integer> own = new TreeSet<>();
        Map<Integer, Set<Integer>> others = new HashMap<>();
        for (String v : values) {
            String t = v.trim();
            int colon = t.indexOf(':');
            try {
                if (colon < 0) {
                    own.add(number(t));
                } else {
                    int p = number(t.substring(0, colon));
                    int fd = number(t.substring(colon + 1));
                    (p == pid ? own : others.computeIfAbsent(p, k -> new TreeSet<>())).add(fd);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " takes descriptor numbers (7) or a process's pid and"
                        + " descriptor number (1234:7), not '" + v + "'");
            }
        }
        return new GivenUpFds(own, others);
    }

    private static int number(String s) {
        int n = Integer.parseInt(s);
        if (n < 0) {
            throw new NumberFormatException(s);
        }
        return n;
    }

    /** Both options' descriptors of other processes, by pid. */
    static Map<Integer, FdLosses> byProcess(GivenUpFds close, GivenUpFds redirect) {
        Set<Integer> pids = new HashSet<>(close.others().keySet());
        pids.addAll(redirect.others().keySet());
        Map<Integer, FdLosses> out = new HashMap<>();
        for (int p : pids) {
            out.put(p, new FdLosses(close.others().getOrDefault(p, Set.of()), redirect.others().getOrDefault(p, Set.of())));
        }
        return out;
    }
}
