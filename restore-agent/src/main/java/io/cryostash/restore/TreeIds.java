// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.TreeMember;

/**
 * Sessions and process groups of a tree as restore can rebuild them. The root leads a session
 * of its own (as a single restored process does), so the session and group it was in, which
 * belong to processes outside the tree, stand for the root's own. A process's session can only
 * be its parent's (inherited at fork) or its own (setsid); a process group must be led by a
 * process of the tree, or be the root's.
 */
final class TreeIds {
    private TreeIds() {
    }

    /** Refuses, before anything is started, a tree whose sessions or groups cannot be rebuilt. */
    static void check(ProcessImage tree) {
        Map<Integer, Integer> sessions = sessions(tree);
        Map<Integer, Integer> groups = groups(tree);
        for (TreeMember m : tree.tree().members()) {
            int sid = sessions.get(m.pid());
            if (sid != m.pid() && sid != sessions.get(m.ppid())) {
                throw new RestoreException("image " + tree.id() + ": process " + m.pid() + " is in session " + m.sid()
                        + ", which is neither its own nor its parent's (its parent called setsid after forking it);"
                        + " such a tree cannot be rebuilt yet");
            }
            int pgid = groups.get(m.pid());
            if (!groups.containsKey(pgid) || !sessions.get(pgid).equals(sid)) {
                throw new RestoreException("image " + tree.id() + ": process " + m.pid() + " is in process group "
                        + m.pgid() + ", led by no process of the tree in its session; such a tree cannot be rebuilt yet");
            }
        }
    }

    private static Map<Integer, Integer> sessions(ProcessImage tree) {
        int root = tree.process().pid();
        Map<Integer, Integer> out = new HashMap<>();
        out.put(root, root);
        for (TreeMember m : tree.tree().members()) {
            out.put(m.pid(), m.sid() == tree.process().sid() ? root : m.sid());
        }
        return out;
    }

    /** Each process's group after restore, by pid, in the tree's order (the root's first). */
    static Map<Integer, Integer> groups(ProcessImage tree) {
        int root = tree.process().pid();
        Map<Integer, Integer> out = new LinkedHashMap<>();
        out.put(root, root);
        for (TreeMember m : tree.tree().members()) {
            out.put(m.pid(), m.pgid() == tree.process().pgid() ? root : m.pgid());
        }
        return out;
    }

    static boolean leadsSession(ProcessImage tree, int pid) {
        return tree.tree().members().stream().anyMatch(m -> m.pid() == pid && m.sid() == pid);
    }
}
