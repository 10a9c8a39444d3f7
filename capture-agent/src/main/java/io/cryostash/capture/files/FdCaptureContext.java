// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.Pidfd;
import io.cryostash.agent.proc.FdInfo;

/**
 * What per-kind capturers share during one capture: the process, all its descriptors, the
 * agent's own handles on them, and the bytes to store once the process runs again.
 */
public final class FdCaptureContext implements AutoCloseable {
    private final int pid;
    private final List<FdInfo> all;
    private final boolean readState;
    private final Set<Integer> members;
    private Pidfd pidfd;
    private Map<String, Set<Integer>> holdersElsewhere;
    private Map<String, Set<Integer>> heldInTree;
    private Map<String, List<FdInfo>> byTarget;
    private Map<Integer, FdInfo> byFd;
    private final Map<Integer, byte[]> contents = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final List<java.util.function.Consumer<Boolean>> releases = new ArrayList<>();
    private final List<Runnable> beforeKill = new ArrayList<>();
    private final Map<Object, Object> learned = new HashMap<>();

    private final RepairGuard repairGuard;
    private final ConnectionPolicy connections;

    FdCaptureContext(int pid, List<FdInfo> all, boolean readState, Set<Integer> members, RepairGuard repairGuard,
                     ConnectionPolicy connections) {
        this.connections = connections;
        this.members = members;
        this.pid = pid;
        this.all = all;
        this.readState = readState;
        this.repairGuard = repairGuard;
    }

    /** See {@link RepairGuard}: call before switching repair mode on for descriptor {@code fd}. */
    public Runnable guardRepair(int fd) {
        return repairGuard.guard(fd);
    }

    /** {@link #guardRepair} for many descriptors in one go. */
    public Runnable guardRepairs(int[] fds) {
        return repairGuard.guardAll(fds);
    }

    /** What this capture may do about the process's TCP connections (see {@link ConnectionPolicy}). */
    public ConnectionPolicy connections() {
        return connections;
    }

    public int pid() {
        return pid;
    }

    public List<FdInfo> descriptors() {
        return all;
    }

    /**
     * False during the check before the freeze: classify and decide only, read no queues or
     * contents (the process still runs, and nothing read then would be kept).
     */
    public boolean readState() {
        return readState;
    }

    /** The process's descriptor {@code fd} opened anew by the agent (/proc/PID/fd/N): the same inode. */
    public LocalFd reopen(int fd, int flags) {
        return LocalFd.open("/proc/" + pid + "/fd/" + fd, flags);
    }

    /** A copy of the process's descriptor {@code fd} in the agent: the same open file (pidfd_getfd). */
    public LocalFd take(int fd) {
        if (pidfd == null) {
            pidfd = new Pidfd(pid);
        }
        return pidfd.take(fd);
    }

    /** Bytes to store with the image for descriptor {@code fd} (a memfd's or deleted file's contents). */
    public void keepContents(int fd, byte[] bytes) {
        contents.put(fd, bytes);
    }

    Map<Integer, byte[]> contents() {
        return contents;
    }

    /**
     * Work to do when the process is let go (argument false: it runs on) or killed (true),
     * after the image is written: a TCP connection leaves repair mode only then.
     */
    public void onRelease(java.util.function.Consumer<Boolean> release) {
        releases.add(release);
    }

    List<java.util.function.Consumer<Boolean>> releases() {
        return releases;
    }

    /** Work to do just before the process is killed (while still frozen), e.g. TCP repair mode on. */
    public void beforeKill(Runnable r) {
        beforeKill.add(r);
    }

    List<Runnable> beforeKills() {
        return beforeKill;
    }

    /**
     * Keeps something one descriptor's capture learned that another descriptor of the same
     * object needs too (a pipe's capacity for its other end), for the rest of this capture.
     */
    public void learn(Object key, Object value) {
        learned.put(key, value);
    }

    /** What {@link #learn} kept under {@code key}, or null. */
    @SuppressWarnings("unchecked")
    public <T> T learned(Object key) {
        return (T) learned.get(key);
    }

    /** Something the image keeps not quite as it was (the capture's output lists it). */
    public void note(String line) {
        notes.add(line);
    }

    List<String> notes() {
        return notes;
    }

    /**
     * Other processes holding the same link target ("pipe:[1234]", "socket:[99]"), by pid, leaving
     * out the other members of a tree captured with this process (their ends are in the image);
     * one scan of /proc the first time it is asked, for all targets of this process at once.
     */
    public Set<Integer> holdersElsewhere(String target) {
        if (holdersElsewhere == null) {
            holdersElsewhere = scanOthers();
        }
        return holdersElsewhere.getOrDefault(target, Set.of());
    }

    /**
     * The other members of a tree captured with this process that hold the link target
     * ("socket:[99]"), by pid; empty for a process captured alone. One scan of the members'
     * descriptors the first time it is asked.
     */
    public Set<Integer> heldInTree(String target) {
        if (heldInTree == null) {
            heldInTree = new HashMap<>();
            for (int member : members) {
                if (member == pid) {
                    continue;
                }
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + member + "/fd"))) {
                    for (Path fd : fds) {
                        try {
                            heldInTree.computeIfAbsent(Files.readSymbolicLink(fd).toString(), k -> new TreeSet<>())
                                    .add(member);
                        } catch (IOException gone) {
                            // closed meanwhile (a member not frozen yet, during the check before the freeze)
                        }
                    }
                } catch (IOException goneOrZombie) {
                    // a zombie holds no descriptors
                }
            }
        }
        return heldInTree.getOrDefault(target, Set.of());
    }

    private Map<String, Set<Integer>> scanOthers() {
        Set<String> wanted = new java.util.HashSet<>();
        for (FdInfo f : all) {
            if (!f.target().startsWith("anon_inode:")) { // pipes, sockets, FIFOs (by path), terminals
                wanted.add(f.target());
            }
        }
        Map<String, Set<Integer>> out = new HashMap<>();
        if (wanted.isEmpty()) {
            return out;
        }
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path proc : procs) {
                int other = Integer.parseInt(proc.getFileName().toString());
                if (other == pid || members.contains(other)) {
                    continue;
                }
                try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
                    for (Path fd : fds) {
                        try {
                            String t = Files.readSymbolicLink(fd).toString();
                            if (wanted.contains(t)) {
                                out.computeIfAbsent(t, k -> new TreeSet<>()).add(other);
                            }
                        } catch (IOException gone) {
                            // closed meanwhile
                        }
                    }
                } catch (IOException goneOrKernelThread) {
                    // exited meanwhile, or not ours to read
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        return out;
    }

    /** "pid 12 (cat)" for messages. */
    public static String describe(int otherPid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + otherPid + "/comm")).trim();
            return "pid " + otherPid + " (" + stat + ")";
        } catch (IOException gone) {
            return "pid " + otherPid;
        }
    }

    /** Descriptors of this process with the given link target, in number order. */
    public List<FdInfo> withTarget(String target) {
        if (byTarget == null) { // one index for all: asked once per pipe or socket, it must not cost a scan each
            byTarget = new HashMap<>();
            for (FdInfo f : all) {
                byTarget.computeIfAbsent(f.target(), k -> new ArrayList<>()).add(f);
            }
        }
        return byTarget.getOrDefault(target, List.of());
    }

    /** This process's descriptor {@code fd}, or null. */
    public FdInfo descriptor(int fd) {
        if (byFd == null) {
            byFd = new HashMap<>();
            for (FdInfo f : all) {
                byFd.put(f.fd(), f);
            }
        }
        return byFd.get(fd);
    }

    @Override
    public void close() {
        if (pidfd != null) {
            pidfd.close();
        }
    }
}
