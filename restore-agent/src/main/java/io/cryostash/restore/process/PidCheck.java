// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ThreadState;
import io.cryostash.schema.image.TreeMember;

/**
 * Whether the image's pid and tids are free on this host, before anything is started. An id
 * held by a zombie (a process that exited and whose parent has not reaped it yet, e.g. the
 * original just killed) is waited for briefly: parents normally reap within microseconds.
 */
public final class PidCheck {
    private static final long ZOMBIE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private PidCheck() {
    }

    /** @throws RestoreException naming every id in use and the options that avoid the clash */
    public static void requireFree(ProcessImage image) {
        long deadline = System.nanoTime() + ZOMBIE_WAIT_NANOS;
        List<String> taken;
        while (true) {
            taken = new ArrayList<>();
            boolean onlyZombies = true;
            for (ThreadState t : image.threads()) {
                Holder h = holder(t.tid());
                if (h != null) {
                    taken.add(describe(image, t.tid(), h));
                    onlyZombies &= h.zombie();
                }
            }
            if (taken.isEmpty()) {
                return;
            }
            if (!onlyZombies || System.nanoTime() > deadline) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        throw new RestoreException(String.join("; ", taken) + options(image));
    }

    /**
     * Every id a tree needs back, checked before anything is started: each live process's pid
     * and thread ids and each zombie's pid (its husk is made with that pid, to end as the zombie).
     *
     * @throws RestoreException naming every id in use, what it is in the tree, its holder and
     *                          --new-pid-namespace
     */
    public static void requireFreeTree(ProcessImage root) {
        Map<Integer, String> ids = treeIds(root);
        long deadline = System.nanoTime() + ZOMBIE_WAIT_NANOS;
        List<String> taken;
        while (true) {
            taken = new ArrayList<>();
            boolean onlyZombies = true;
            for (Map.Entry<Integer, String> id : ids.entrySet()) {
                Holder h = holder(id.getKey());
                if (h != null) {
                    taken.add(id.getValue() + " of image " + root.id() + " is taken on this host by " + holder(id.getKey(), h));
                    onlyZombies &= h.zombie();
                }
            }
            if (taken.isEmpty()) {
                return;
            }
            if (!onlyZombies || System.nanoTime() > deadline) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        throw new RestoreException(String.join("; ", taken) + TREE_OPTIONS);
    }

    /** The refusal when clone3 found an id of a tree in use after all (taken meanwhile, or held as a group or session id). */
    public static RestoreException inUseInTree(ProcessImage root, int id, Exception cause) {
        Holder h = holder(id);
        String what = treeIds(root).getOrDefault(id, "id " + id) + " of image " + root.id() + " is "
                + (h != null ? "taken on this host by " + holder(id, h)
                : "in use on this host (by a process group or session of processes that still exist)");
        return new RestoreException(what + TREE_OPTIONS, cause);
    }

    private static final String TREE_OPTIONS = ": restore with --new-pid-namespace to rebuild the tree in a fresh PID"
            + " namespace where its ids are free (--new-pid cannot restore a tree: parents know their children by pid)";

    /** Every id of the tree, saying what it is: "pid 12 (a zombie of the tree, child of 10)". */
    private static Map<Integer, String> treeIds(ProcessImage root) {
        Map<Integer, String> ids = new LinkedHashMap<>();
        processIds(ids, root, "the tree's root");
        for (TreeMember m : root.tree().members()) {
            if (m.zombie()) {
                ids.putIfAbsent(m.pid(), "pid " + m.pid() + " (a zombie of the tree, child of " + m.ppid() + ")");
            } else {
                processIds(ids, m.image(), "in the tree, child of " + m.ppid());
            }
        }
        return ids;
    }

    private static void processIds(Map<Integer, String> ids, ProcessImage image, String role) {
        int pid = image.threads().get(0).tid();
        ids.putIfAbsent(pid, "pid " + pid + " (" + role + ")");
        for (ThreadState t : image.threads()) {
            ids.putIfAbsent(t.tid(), "thread id " + t.tid() + " (of pid " + pid + ", " + role + ")");
        }
    }

    /**
     * Ids at or above this host's pid_max cannot be chosen in any namespace (the limit is
     * global): images from hosts with a larger kernel.pid_max.
     */
    public static void requireWithinPidMax(ProcessImage image) {
        long max;
        // one read of the whole value: sysctl files answer a read at a later offset with end-of-file,
        // and Files.readString reads a file that claims to be empty a byte at a time
        try (InputStream in = Files.newInputStream(Path.of("/proc/sys/kernel/pid_max"))) {
            max = Long.parseLong(new String(in.readNBytes(64), StandardCharsets.US_ASCII).trim());
        } catch (IOException | NumberFormatException unreadable) {
            return; // clone3 will say so
        }
        for (ThreadState t : image.threads()) {
            if (t.tid() >= max) {
                throw new RestoreException((t == image.threads().get(0) ? "pid " : "thread id ") + t.tid()
                        + " of image " + image.id() + " is not below this host's kernel.pid_max (" + max
                        + "): raise it (sysctl kernel.pid_max=" + Math.max(t.tid() + 1, 4_194_304) + "), or restore"
                        + (image.threads().size() == 1 ? " with --new-pid" : " on a host that allows it"));
            }
        }
    }

    /** The refusal when clone3 found an id in use after all (taken meanwhile, or held as a group or session id). */
    public static RestoreException inUse(ProcessImage image, int id, Exception cause) {
        Holder h = holder(id);
        String what = h != null ? describe(image, id, h) : (id == image.threads().get(0).tid() ? "pid " : "thread id ")
                + id + " of image " + image.id() + " is in use on this host (by a process group or session of"
                + " processes that still exist)";
        return new RestoreException(what + options(image), cause);
    }

    private static String options(ProcessImage image) {
        return ": restore with --new-pid-namespace to rebuild it in a fresh PID namespace where its ids are free"
                + (image.threads().size() == 1 ? ", or with --new-pid to give it any free pid" : " (--new-pid is"
                + " for single-threaded processes only: threads keep each other's ids in memory)");
    }

    private static String describe(ProcessImage image, int id, Holder h) {
        boolean main = id == image.threads().get(0).tid();
        return (main ? "pid " : "thread id ") + id + " of image " + image.id() + " is taken on this host by "
                + holder(id, h);
    }

    private static String holder(int id, Holder h) {
        return (h.zombie() ? "a zombie (an exited process its parent has not reaped) " : "")
                + (h.tgid() == id ? "process " + id : "thread " + id + " of process " + h.tgid()) + " (" + h.comm() + ")";
    }

    private record Holder(int tgid, String comm, boolean zombie) {
    }

    /** Who holds {@code id} (any task, not only processes: /proc/ID exists for threads too), or null. */
    private static Holder holder(int id) {
        try {
            String status = Files.readString(Path.of("/proc", Integer.toString(id), "status"));
            int tgid = id;
            String comm = "?";
            boolean zombie = false;
            for (String line : status.split("\n")) {
                if (line.startsWith("Tgid:")) {
                    tgid = Integer.parseInt(line.substring(5).trim());
                } else if (line.startsWith("Name:")) {
                    comm = line.substring(5).trim();
                } else if (line.startsWith("State:")) {
                    String s = line.substring(6).trim();
                    zombie = s.startsWith("Z") || s.startsWith("X");
                }
            }
            return new Holder(tgid, comm, zombie);
        } catch (IOException | RuntimeException free) {
            return null;
        }
    }
}
