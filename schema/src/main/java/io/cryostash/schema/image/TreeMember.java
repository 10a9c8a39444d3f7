// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One process of a tree other than its root: its place in the tree and its own image.
 *
 * @param pid        its pid (as seen in the tree's own PID namespace), given back on restore
 * @param ppid       its parent: the root or a member listed before it
 * @param pgid       its process group, and {@code sid} its session, as /proc showed them (ids
 *                   of processes outside the tree stand for the root's, which restore puts in
 *                   a session of its own)
 * @param exitStatus a zombie's wait status (as waitpid reports it), which its parent has yet to
 *                   collect; null for a live process
 * @param image      the live process's own image (memory, threads, descriptors, …) without a
 *                   tree; null for a zombie
 * @param sharedFds  descriptors that are the same open file description as one of an earlier
 *                   member (inherited across fork): one offset and one set of flags for both
 * @param sharedAreas shared anonymous mappings that are the same memory as one of an earlier
 *                   member (MAP_SHARED inherited across fork); their pages are stored once, with
 *                   that member
 */
public record TreeMember(int pid, int ppid, int pgid, int sid,
                         @JsonInclude(JsonInclude.Include.NON_NULL) Integer exitStatus,
                         @JsonInclude(JsonInclude.Include.NON_NULL) ProcessImage image,
                         @JsonInclude(JsonInclude.Include.NON_EMPTY) List<SharedFd> sharedFds,
                         @JsonInclude(JsonInclude.Include.NON_EMPTY) List<SharedArea> sharedAreas) {

    public TreeMember {
        sharedFds = sharedFds == null ? List.of() : List.copyOf(sharedFds);
        sharedAreas = sharedAreas == null ? List.of() : List.copyOf(sharedAreas);
    }

    /** A zombie: it has exited and only its exit status waits for its parent. */
    public boolean zombie() {
        return exitStatus != null;
    }

    public TreeMember withImage(ProcessImage newImage) {
        return new TreeMember(pid, ppid, pgid, sid, exitStatus, newImage, sharedFds, sharedAreas);
    }

    /**
     * Descriptor {@code fd} of this member is the open file description of descriptor
     * {@code fromFd} of member {@code fromPid} (the root or an earlier member).
     */
    public record SharedFd(int fd, int fromPid, int fromFd) {
    }

    /**
     * The shared anonymous area starting at {@code start} in this member is the memory of the
     * area starting at {@code fromStart} in member {@code fromPid}, which holds its pages.
     */
    public record SharedArea(long start, int fromPid, long fromStart) {
    }
}
