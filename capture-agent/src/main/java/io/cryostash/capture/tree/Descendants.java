// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.tree;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.proc.ProcStat;

/**
 * The descendants of a process, from one scan of /proc (this kernel has no
 * /proc/PID/task/TID/children): every process's parent from its stat, then the tree walked from
 * the root, parents before children, siblings by pid. A snapshot: processes fork and exit
 * while it is read, which is why a tree capture scans again until what it froze is all there is.
 */
public final class Descendants {
    private Descendants() {
    }

    /** The descendants of {@code root} (not the root itself), parents before children. */
    public static List<ProcStat> of(int root) {
        Map<Integer, List<ProcStat>> children = new HashMap<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                try {
                    ProcStat st = ProcStat.parse(Files.readString(p.resolve("stat")));
                    children.computeIfAbsent(st.ppid(), k -> new ArrayList<>()).add(st);
                } catch (IOException | RuntimeException gone) {
                    // exited while the directory was read
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        List<ProcStat> out = new ArrayList<>();
        Deque<Integer> todo = new ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            List<ProcStat> kids = new ArrayList<>(children.getOrDefault(todo.poll(), List.of()));
            kids.sort(Comparator.comparingInt(ProcStat::pid));
            for (ProcStat k : kids) {
                out.add(k);
                todo.add(k.pid());
            }
        }
        return out;
    }

    /**
     * A zombie's exit status as its parent's waitpid will report it (field 52 of
     * /proc/PID/stat, exit_code).
     */
    public static int exitStatus(int pid) {
        String text;
        try {
            text = Files.readString(Path.of("/proc/" + pid + "/stat"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the exit status of zombie " + pid + ": " + e.getMessage(), e);
        }
        String[] f = text.substring(text.lastIndexOf(')') + 2).trim().split(" ");
        return Integer.parseInt(f[52 - 3]);
    }
}
