// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.ProcStatus;

/**
 * What a capture can read but a restore could not rebuild, checked before the process is
 * touched (and again inside the freeze, for what changed meanwhile): a capture with --kill
 * would otherwise kill a process whose image then cannot come back (issue 12, item 11).
 *
 * <ul>
 *   <li>a working directory or root that was deleted: restore could not go back into it;</li>
 *   <li>another mount or user namespace: the paths and ids it sees are not the agent's, so a
 *       restore would open other files or run as another user;</li>
 *   <li>a working directory, root or mapped file its own user can no longer reach (it opened
 *       them with privileges it has dropped since): restore works with that user's rights;</li>
 *   <li>capabilities other than the ones a restored copy gets (restore switches to the image's
 *       ids from root, which leaves either root's full set or none): it would lose privileges it
 *       relies on, or gain ones it gave up, as under a reduced bounding set.</li>
 * </ul>
 * Kinds of state with a capture package of their own refuse what they cannot save there, each
 * once: descriptors ({@code DescriptorCapture}, before the freeze, naming fd and kind), SysV
 * shared memory ({@code MemoryCapture}); threads, interval and POSIX timers are captured.
 * Every problem found is named in one refusal.
 */
final class RestorableCheck {
    private static final int ROOT = 0;

    private RestorableCheck() {
    }

    /**
     * Refuses to capture-and-kill a process that has children: they are not in its image, so
     * killing it would leave them orphaned (and killing them too would lose them). Process trees
     * cannot be captured yet; children that do not matter can be ended first. Threads are no
     * children: /proc lists processes only, and a child forked by any thread names the process
     * (its thread group) as its parent, so it is found too.
     */
    static void requireNoChildren(int pid, String comm) {
        List<String> children = children(pid);
        if (!children.isEmpty()) {
            throw new CaptureException("pid " + pid + " (" + comm + ") has " + children.size() + " child process"
                    + (children.size() == 1 ? "" : "es") + " (" + String.join(", ", children) + "), which its image"
                    + " would not hold: with --kill they would be left orphaned. Capture the whole tree with --tree,"
                    + " or end the children first if they do not matter; without --kill it is captured alone and"
                    + " runs on with them. Nothing was killed");
        }
    }

    /** "pid (comm)" of every process whose parent is {@code pid}. */
    static List<String> children(int pid) {
        List<String> out = new ArrayList<>();
        try (java.util.stream.Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.matches("\\d+")) {
                    continue;
                }
                String stat = read(p.resolve("stat"));
                int close = stat == null ? -1 : stat.lastIndexOf(')');
                if (close < 0) {
                    continue;
                }
                String[] f = stat.substring(close + 2).split(" ");
                if (f.length > 1 && f[1].equals(Integer.toString(pid))) {
                    out.add(name + " (" + stat.substring(stat.indexOf('(') + 1, close) + ")");
                }
            }
        } catch (IOException e) {
            throw new CaptureException("cannot list the processes of this host: " + e.getMessage(), e);
        }
        return out;
    }

    /** Throws a {@link CaptureException} naming every reason pid cannot be restored as it is. */
    static void require(int pid, String comm) {
        List<String> problems = problems(pid);
        if (!problems.isEmpty()) {
            throw new CaptureException("pid " + pid + " (" + comm + ") could not be restored from an image, so it is"
                    + " not captured, and not killed; it runs on:\n  " + String.join("\n  ", problems));
        }
    }

    static List<String> problems(int pid) {
        List<String> out = new ArrayList<>();
        String cwd = link(pid, "cwd");
        String root = link(pid, "root");
        for (String[] d : new String[][] {{"working directory", cwd}, {"root directory", root}}) {
            if (d[1] != null && d[1].endsWith(" (deleted)")) {
                out.add("its " + d[0] + " " + d[1].substring(0, d[1].length() - 10) + " was deleted");
            }
        }
        for (String ns : new String[] {"mnt", "user"}) {
            String theirs = link(pid, "ns/" + ns);
            String ours = link((int) ProcessHandle.current().pid(), "ns/" + ns);
            if (theirs != null && !theirs.equals(ours)) {
                out.add("it runs in another " + (ns.equals("mnt") ? "mount" : "user") + " namespace (" + theirs
                        + ", this agent's is " + ours + "): the " + (ns.equals("mnt") ? "paths" : "user ids")
                        + " it sees are not this host's");
            }
        }
        ProcStatus status = ProcStatus.read(pid);
        List<MapsEntry> maps = Maps.read(pid);
        reachability(status, cwd, root, maps, out);
        capabilities(pid, status, out);
        return out;
    }

    /** Restore chdirs, chroots and maps files with the image's file-system ids: they must still do. */
    private static void reachability(ProcStatus status, String cwd, String root, List<MapsEntry> maps,
                                     List<String> out) {
        int fsuid = status.uids()[3];
        if (fsuid == ROOT) {
            return;
        }
        Set<Integer> groups = new HashSet<>(status.groups());
        groups.add(status.gids()[3]);
        String who = "uid " + fsuid;
        for (String[] d : new String[][] {{"working directory", cwd}, {"root directory", root}}) {
            if (d[1] != null && !d[1].endsWith(" (deleted)") && !reachable(Path.of(d[1]), fsuid, groups, 1)) {
                out.add("its " + d[0] + " " + d[1] + " is no longer reachable by its own user (" + who + ")");
            }
        }
        Map<String, Integer> needed = new HashMap<>();
        for (MapsEntry e : maps) {
            if (e.isFile() && !e.isDeleted()) {
                int bit = 4 | (e.shared() && e.perms().charAt(1) == 'w' ? 2 : 0);
                needed.merge(e.path(), bit, (a, b) -> a | b);
            }
        }
        needed.forEach((path, bits) -> {
            if (!reachable(Path.of(path), fsuid, groups, bits)) {
                out.add("it maps " + path + ", which its own user (" + who + ") may no longer "
                        + ((bits & 2) != 0 ? "read and write" : "read"));
            }
        });
    }

    /** Search permission on every directory above {@code p}, and {@code bits} (4 r, 2 w, 1 x) on p itself. */
    private static boolean reachable(Path p, int uid, Set<Integer> groups, int bits) {
        try {
            for (Path d = p.getParent(); d != null; d = d.getParent()) {
                if (!may(d, uid, groups, 1)) {
                    return false;
                }
            }
            return may(p, uid, groups, bits);
        } catch (IOException gone) {
            return false;
        }
    }

    private static boolean may(Path p, int uid, Set<Integer> groups, int bits) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:uid,gid,mode");
        int mode = (Integer) a.get("mode");
        int granted = (Integer) a.get("uid") == uid ? (mode >> 6) & 7
                : groups.contains((Integer) a.get("gid")) ? (mode >> 3) & 7 : mode & 7;
        return (granted & bits) == bits;
    }

    /**
     * A restored process starts as a root husk with this agent's capabilities and switches to
     * the image's ids: with every uid non-zero it keeps none, else root's; its inheritable and
     * bounding sets are the agent's. The process must have exactly those.
     */
    private static void capabilities(int pid, ProcStatus status, List<String> out) {
        Map<String, Long> theirs = caps(Path.of("/proc", Integer.toString(pid), "status"));
        Map<String, Long> agent = caps(Path.of("/proc/self/status"));
        if (theirs.isEmpty() || agent.isEmpty()) {
            return;
        }
        int[] u = status.uids();
        boolean anyRoot = u[0] == ROOT || u[1] == ROOT || u[2] == ROOT;
        long full = agent.get("CapBnd");
        Map<String, Long> restored = Map.of("CapInh", agent.get("CapInh"), "CapPrm", anyRoot ? full : 0L,
                "CapEff", u[1] == ROOT ? full : 0L, "CapBnd", full, "CapAmb", 0L);
        for (String set : List.of("CapPrm", "CapEff", "CapInh", "CapAmb", "CapBnd")) {
            long have = theirs.getOrDefault(set, 0L);
            long would = restored.get(set);
            if (have != would) {
                out.add("its capabilities " + set + " are " + String.format("%016x", have) + " but a restored copy"
                        + " would have " + String.format("%016x", would) + ((would & ~have) != 0
                        ? ": it would gain privileges it gave up" : ": it would lose privileges it has"));
            }
        }
    }

    private static Map<String, Long> caps(Path status) {
        Map<String, Long> out = new HashMap<>();
        String text = read(status);
        if (text == null) {
            return out;
        }
        for (String line : text.split("\n")) {
            if (line.startsWith("Cap")) {
                int c = line.indexOf(':');
                out.put(line.substring(0, c), Long.parseUnsignedLong(line.substring(c + 1).trim(), 16));
            }
        }
        return out;
    }

    private static String link(int pid, String name) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), name)).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return null;
        }
    }
}
