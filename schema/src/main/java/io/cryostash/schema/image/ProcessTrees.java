// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks a reader applies to a tree before restore trusts it: restore creates a process per
 * member with its pid, forked from the member named as its parent, and joins what members share
 * by the ids given here, so every id must name what it claims, and earlier.
 */
final class ProcessTrees {
    private static final int PID_MAX_LIMIT = 1 << 22;

    private ProcessTrees() {
    }

    static void validate(ProcessImage root) {
        int rootPid = root.process().pid();
        require(rootPid > 0 && rootPid < PID_MAX_LIMIT, "impossible pid " + rootPid + " of the tree's root");
        Map<Integer, ProcessImage> earlier = new HashMap<>();
        earlier.put(rootPid, root);
        Set<Integer> ids = new HashSet<>();
        root.threads().forEach(t -> ids.add(t.tid()));
        ids.add(rootPid);
        Set<Integer> parents = new HashSet<>(List.of(rootPid));
        for (TreeMember m : root.tree().members()) {
            require(m != null, "null member of the process tree");
            String who = "process " + m.pid() + " of the tree";
            require(m.pid() > 0 && m.pid() < PID_MAX_LIMIT, "impossible pid " + m.pid() + " in the process tree");
            require(ids.add(m.pid()), who + ": its pid is also another process's or thread's");
            require(parents.contains(m.ppid()), who + ": its parent " + m.ppid() + " is not a process listed before it");
            require(m.pgid() > 0 && m.sid() > 0, who + ": impossible process group or session");
            if (m.zombie()) {
                require(m.image() == null && m.sharedFds().isEmpty() && m.sharedAreas().isEmpty(),
                        who + " is a zombie with process state");
                require(m.exitStatus() >= 0 && m.exitStatus() <= 0xffff, who + ": impossible exit status");
                continue;
            }
            ProcessImage img = m.image();
            require(img != null, who + " has no image");
            require(img.process().pid() == m.pid() && img.threads().get(0).tid() == m.pid(),
                    who + ": its image is of another process");
            for (ThreadState t : img.threads().subList(1, img.threads().size())) {
                require(ids.add(t.tid()), who + ": thread id " + t.tid() + " is also another process's or thread's");
            }
            for (TreeMember.SharedFd s : m.sharedFds()) {
                require(s != null, who + ": null shared descriptor");
                ProcessImage from = earlier.get(s.fromPid());
                require(from != null, who + ": descriptor " + s.fd() + " is shared with " + s.fromPid()
                        + ", which is not a live process listed before it");
                require(hasFd(img, s.fd()) && hasFd(from, s.fromFd()), who + ": descriptor " + s.fd()
                        + " is shared with descriptor " + s.fromFd() + " of " + s.fromPid() + ", and one of them is missing");
            }
            for (TreeMember.SharedArea s : m.sharedAreas()) {
                require(s != null, who + ": null shared area");
                ProcessImage from = earlier.get(s.fromPid());
                require(from != null && sharedAnonymous(img, s.start()) && sharedAnonymous(from, s.fromStart()),
                        who + ": the shared area at " + Long.toHexString(s.start()) + " names no shared anonymous area"
                        + " of an earlier process");
            }
            earlier.put(m.pid(), img);
            parents.add(m.pid());
        }
    }

    private static boolean hasFd(ProcessImage image, int fd) {
        return image.fds() != null && image.fds().stream().anyMatch(f -> f.fd() == fd);
    }

    private static boolean sharedAnonymous(ProcessImage image, long start) {
        return image.areas().stream().anyMatch(a -> a.start() == start && a.kind() == MemoryArea.Kind.SHARED_ANONYMOUS);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InvalidImageException(message);
        }
    }
}
