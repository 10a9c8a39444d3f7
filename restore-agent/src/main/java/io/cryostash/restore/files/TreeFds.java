// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.TreeMember;
import io.cryostash.schema.image.fds.PipeFile;
import io.cryostash.schema.image.fds.UnixSocketFile;

/**
 * What the processes of a tree hand each other while they are rebuilt one after the other, the
 * root first and parents before children. A descriptor that was one open file description with
 * an earlier process's ({@link TreeMember.SharedFd}) is taken from that process (pidfd_getfd
 * run in the one being built): the same description, so one offset and one set of flags, as
 * fork had left them. A pipe is made by the first process holding an end of it; when a later
 * one holds an end too, copies of both ends are parked in the maker above its own descriptors,
 * taken by the later ones, and closed once the whole tree is built. A unix socket pair whose
 * ends two processes hold (a socketpair made before fork, or both ends of a connection) is made
 * by the first of them, which keeps its own end and parks the other for the later one, with
 * what each end had queued to read already sent through the other.
 *
 * <p>Ids are the processes' own pids (in the restored tree's namespace), as pidfd_open in a
 * process of the tree sees them.
 */
public final class TreeFds {
    private final Map<Long, Set<Integer>> pipeHolders = new HashMap<>();
    private final Map<Long, Set<Integer>> socketHolders = new HashMap<>();
    private final Map<Long, UnixSocketFile> sockets = new HashMap<>();
    private final Map<Long, int[]> parkedSockets = new HashMap<>();
    private final Map<Long, int[]> parked = new HashMap<>();
    private final Map<Integer, List<Integer>> parkedIn = new LinkedHashMap<>();
    private int current;
    private List<TreeMember.SharedFd> shared = List.of();

    public TreeFds(ProcessImage root) {
        holders(root.process().pid(), root);
        for (TreeMember m : root.tree().members()) {
            if (m.image() != null) {
                holders(m.pid(), m.image());
            }
        }
    }

    private void holders(int pid, ProcessImage image) {
        for (FdEntry e : image.fds()) {
            if (e.file() instanceof PipeFile p) {
                pipeHolders.computeIfAbsent(p.pipeId(), k -> new HashSet<>()).add(pid);
            } else if (e.file() instanceof UnixSocketFile u) {
                socketHolders.computeIfAbsent(u.inode(), k -> new HashSet<>()).add(pid);
                sockets.putIfAbsent(u.inode(), u);
            }
        }
    }

    /** The process about to be built, and its descriptors to take from earlier ones. */
    public void building(int pid, List<TreeMember.SharedFd> sharedFds) {
        current = pid;
        shared = List.copyOf(sharedFds);
    }

    List<TreeMember.SharedFd> sharedFds() {
        return shared;
    }

    /** Ends of the pipe parked in the process that made it: {maker's pid, read end, write end}, or null. */
    public int[] madeEarlier(long pipeId) {
        return parked.get(pipeId);
    }

    /** Whether a process built after this one holds an end of the pipe too. */
    public boolean neededLater(long pipeId) {
        return pipeHolders.getOrDefault(pipeId, Set.of()).stream().anyMatch(p -> p != current);
    }

    /** Records copies of a pipe's ends parked in the process being built, for later ones to take. */
    public void parked(long pipeId, int readEnd, int writeEnd) {
        parked.put(pipeId, new int[] {current, readEnd, writeEnd});
        parkedIn.computeIfAbsent(current, k -> new ArrayList<>()).addAll(List.of(readEnd, writeEnd));
    }

    /**
     * The unix socket of another process of the tree with this inode, when a process other than
     * the one being built holds it (it is built later: an earlier one would have made it), or null.
     */
    public UnixSocketFile socketHeldLater(long inode) {
        boolean later = socketHolders.getOrDefault(inode, Set.of()).stream().anyMatch(p -> p != current);
        return later ? sockets.get(inode) : null;
    }

    /** The socket an earlier process made and parked for this one: {maker's pid, its parked copy}, or null. */
    public int[] socketMadeEarlier(long inode) {
        return parkedSockets.get(inode);
    }

    /** Records a socket end parked in the process being built for the later process that holds it. */
    public void parkedSocket(long inode, int fd) {
        parkedSockets.put(inode, new int[] {current, fd});
        parkedIn.computeIfAbsent(current, k -> new ArrayList<>()).add(fd);
    }

    /** Per process, the parked descriptors to close once every process is built. */
    public Map<Integer, List<Integer>> parkedIn() {
        return parkedIn;
    }
}
