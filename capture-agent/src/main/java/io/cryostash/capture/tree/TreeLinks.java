// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.tree;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cryostash.agent.linux.Kcmp;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.capture.CaptureException;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.TreeMember;
import io.cryostash.schema.image.fds.PipeFile;

/**
 * What the processes of a frozen tree share, found while they are all frozen: open file
 * descriptions (kcmp across processes: a descriptor inherited across fork and not reopened is
 * one description, one offset), shared anonymous memory (one shmem inode in several maps), and
 * pipes (by inode), whose bytes in flight are kept once, with the first process holding an end.
 * "First" is the order restore builds them in: the root, then parents before children.
 */
public final class TreeLinks {
    private final Map<Integer, List<TreeMember.SharedFd>> fds = new HashMap<>();
    private final Map<Integer, List<TreeMember.SharedArea>> areas = new HashMap<>();

    private TreeLinks() {
    }

    /**
     * @param order       live processes, root first, parents before children
     * @param descriptors each one's descriptors as captured
     * @param maps        each one's memory map as it is frozen
     */
    public static TreeLinks find(List<Integer> order, Map<Integer, List<FdEntry>> descriptors,
                                 Map<Integer, List<MapsEntry>> maps) {
        TreeLinks links = new TreeLinks();
        Map<String, List<int[]>> byTarget = new HashMap<>();
        for (int pid : order) {
            for (FdEntry e : descriptors.get(pid)) {
                if (e.dupOf() != null || e.kind() == FdEntry.Kind.CLOSED || e.redirected()) {
                    continue; // a duplicate follows its original; given-up ones are not rebuilt
                }
                List<int[]> earlier = byTarget.computeIfAbsent(e.kind() + "|" + e.target(), k -> new ArrayList<>());
                for (int[] other : earlier) {
                    if (other[0] != pid && Kcmp.compareFiles(other[0], other[1], pid, e.fd()) == 0) {
                        links.fds.computeIfAbsent(pid, k -> new ArrayList<>())
                                .add(new TreeMember.SharedFd(e.fd(), other[0], other[1]));
                        break;
                    }
                }
                earlier.add(new int[] {pid, e.fd()});
            }
        }
        Map<Long, MapsEntry> ownerArea = new HashMap<>();
        Map<Long, Integer> owner = new HashMap<>();
        for (int pid : order) {
            for (MapsEntry e : maps.get(pid)) {
                if (!sharedAnonymous(e)) {
                    continue;
                }
                Integer first = owner.putIfAbsent(e.inode(), pid);
                if (first == null) {
                    ownerArea.put(e.inode(), e);
                } else if (first != pid) {
                    MapsEntry o = ownerArea.get(e.inode());
                    if (e.offset() < o.offset()) {
                        throw new CaptureException("pid " + pid + " maps shared memory at 0x" + Long.toHexString(e.start())
                                + " from before the part pid " + first + " maps (at 0x" + Long.toHexString(o.start())
                                + "): shared mappings of different parts of one object are not supported yet");
                    }
                    links.areas.computeIfAbsent(pid, k -> new ArrayList<>())
                            .add(new TreeMember.SharedArea(e.start(), first, o.start()));
                }
            }
        }
        return links;
    }

    private static boolean sharedAnonymous(MapsEntry e) {
        String p = e.path();
        return e.shared() && (p == null || p.startsWith("/dev/zero") || p.startsWith("[anon_shmem:"));
    }

    public List<TreeMember.SharedFd> sharedFds(int pid) {
        return fds.getOrDefault(pid, List.of());
    }

    public List<TreeMember.SharedArea> sharedAreas(int pid) {
        return areas.getOrDefault(pid, List.of());
    }

    /** Areas of {@code pid} whose pages an earlier process keeps. */
    public Set<Long> areasKeptElsewhere(int pid) {
        Set<Long> out = new HashSet<>();
        sharedAreas(pid).forEach(a -> out.add(a.start()));
        return out;
    }

    /**
     * The processes' descriptors with each pipe's bytes in flight kept only by the first process
     * holding an end of it: restore fills the pipe once, where it is made.
     */
    public static Map<Integer, List<FdEntry>> pipeBytesOnce(List<Integer> order, Map<Integer, List<FdEntry>> descriptors) {
        Set<Long> seen = new HashSet<>();
        Map<Integer, List<FdEntry>> out = new LinkedHashMap<>();
        for (int pid : order) {
            Set<Long> mine = new HashSet<>();
            List<FdEntry> list = new ArrayList<>();
            for (FdEntry e : descriptors.get(pid)) {
                if (e.file() instanceof PipeFile p) {
                    if (seen.contains(p.pipeId()) && p.queued() != null) {
                        e = e.withFile(new PipeFile(p.pipeId(), p.readEnd(), p.capacity(), null));
                    }
                    mine.add(p.pipeId());
                }
                list.add(e);
            }
            seen.addAll(mine);
            out.put(pid, list);
        }
        return out;
    }
}
