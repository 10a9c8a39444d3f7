// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.List;

import io.cryostash.schema.store.FileRef;

/**
 * The SysV IPC objects the process uses, with their contents: shared memory segments (and where
 * it has them attached), semaphore sets and message queues. Each keeps its key and id (the
 * program holds ids in memory, and finds keyed objects again by key), owner and permission bits.
 * Semaphore undo adjustments (SEM_UNDO) are not kept. Empty in images from before SysV IPC was saved.
 */
public record SysvIpcState(List<SharedSegment> segments, List<SemaphoreSet> semaphoreSets,
                           List<MessageQueue> queues) {
    public static final SysvIpcState NONE = new SysvIpcState(List.of(), List.of(), List.of());

    public SysvIpcState {
        segments = segments == null ? List.of() : List.copyOf(segments);
        semaphoreSets = semaphoreSets == null ? List.of() : List.copyOf(semaphoreSets);
        queues = queues == null ? List.of() : List.copyOf(queues);
    }

    public boolean isEmpty() {
        return segments.isEmpty() && semaphoreSets.isEmpty() && queues.isEmpty();
    }

    /**
     * A shared memory segment.
     *
     * @param removed    IPC_RMID was asked while it was attached: its key is gone (IPC_PRIVATE) and
     *                   it ends with its last detach; restore removes it again once attached
     * @param attachedAt the address of each attachment in the process (the segment's start; its
     *                   areas, of kind {@link MemoryArea.Kind#SYSV_SHM}, say which parts are mapped
     *                   and with which permissions)
     * @param content    its bytes, stored by content (null only in a draft before storing)
     */
    public record SharedSegment(int key, int id, int mode, int uid, int gid, long size, boolean removed,
                                List<Long> attachedAt, FileRef content) {
        public SharedSegment {
            attachedAt = attachedAt == null ? List.of() : List.copyOf(attachedAt);
        }

        public SharedSegment withContent(FileRef stored) {
            return new SharedSegment(key, id, mode, uid, gid, size, removed, attachedAt, stored);
        }
    }

    /** A semaphore set and each semaphore's value. */
    public record SemaphoreSet(int key, int id, int mode, int uid, int gid, List<Integer> values) {
        public SemaphoreSet {
            values = values == null ? List.of() : List.copyOf(values);
        }
    }

    /**
     * A message queue with the messages waiting in it, oldest first.
     *
     * @param maxBytes its msg_qbytes (the bytes it may hold)
     */
    public record MessageQueue(int key, int id, int mode, int uid, int gid, long maxBytes,
                               List<QueuedMessage> messages) {
        public MessageQueue {
            messages = messages == null ? List.of() : List.copyOf(messages);
        }
    }

    /** One message: its type (mtype) and its bytes. */
    public record QueuedMessage(long type, byte[] text) {
    }
}
