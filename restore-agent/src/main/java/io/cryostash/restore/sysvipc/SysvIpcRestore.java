// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.sysvipc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.linux.SysvIpc;
import io.cryostash.agent.remote.Mman;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.SysvIpcState;
import io.cryostash.schema.store.FileRef;

/**
 * Gives the husk the image's SysV objects: each one not kept alive ({@link SysvIpcPlan}) is made
 * again by the husk itself (so the restored process is its creator and, for semaphores and
 * queued messages, its last user, as a later capture expects) with its id (the namespace's
 * {@code *_next_id} set just before the get call, as CRIU does) and key, filled (segment bytes
 * by the agent through an attachment of its own, semaphore values with SETALL, messages with
 * msgsnd in order), and given its owner and mode again by the agent (IPC_SET; the creator stays
 * root). Then every attachment is made again at its address: the whole segment with shmat, read
 * only when no part of it was writable, then the parts the process had unmapped are unmapped and
 * the parts it had protected otherwise get their protection. A segment that was removed while
 * attached is removed again once attached.
 *
 * <p>Runs before the image's other areas are mapped, so the whole of each attachment is free.
 */
public final class SysvIpcRestore {
    private static final int PAGE = 4096;
    /** Room in the restorer's scratch area for a semaphore array or a message. */
    private static final int SCRATCH_BYTES = 3 * PAGE;
    private static final int CREATE_MODE = 0600;
    /** *_next_id is one setting per namespace: two restores of this agent must not interleave. */
    private static final Object NEXT_ID = new Object();

    private SysvIpcRestore() {
    }

    public static void restore(RemoteSyscalls remote, ProcessMemory mem, long scratch, ProcessImage image,
                               SysvIpcPlan plan, Function<FileRef, Path> contents) {
        SysvIpcState ipc = image.sysvIpc();
        for (SysvIpcState.SharedSegment s : ipc.segments()) {
            if (!plan.keptSegments().contains(s.id())) {
                create(remote, SysvIpc.Kind.SHM, s.id(), s.removed() ? 0 : s.key(), "shmget",
                        SyscallNumbers.SHMGET, s.key() == 0 || s.removed() ? 0 : s.key(), s.size(),
                        SysvIpc.IPC_CREAT | SysvIpc.IPC_EXCL | CREATE_MODE);
                SysvIpc.writeSegment(s.id(), read(contents, s));
                SysvIpc.setOwner(SysvIpc.Kind.SHM, s.id(), s.uid(), s.gid(), s.mode(), 0);
            }
            for (long at : s.attachedAt()) {
                attach(remote, s, at, image.areas());
            }
            if (s.removed() && !plan.keptSegments().contains(s.id())) {
                remote.call("shmctl(IPC_RMID) of segment " + s.id(), SyscallNumbers.SHMCTL, s.id(), SysvIpc.IPC_RMID, 0);
            }
        }
        for (SysvIpcState.SemaphoreSet s : ipc.semaphoreSets()) {
            if (plan.keptSets().contains(s.id())) {
                continue;
            }
            create(remote, SysvIpc.Kind.SEM, s.id(), s.key(), "semget", SyscallNumbers.SEMGET, s.key(),
                    s.values().size(), SysvIpc.IPC_CREAT | SysvIpc.IPC_EXCL | CREATE_MODE);
            int[] values = s.values().stream().mapToInt(Integer::intValue).toArray();
            if (2L * values.length <= SCRATCH_BYTES) { // the husk sets them: it is their last pid, as the process was
                ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
                for (int v : values) {
                    b.putShort((short) v);
                }
                mem.write(scratch, b.array());
                remote.call("semctl(SETALL) of set " + s.id(), SyscallNumbers.SEMCTL, s.id(), 0, SysvIpc.SETALL, scratch);
            } else {
                SysvIpc.setValues(s.id(), values);
            }
            SysvIpc.setOwner(SysvIpc.Kind.SEM, s.id(), s.uid(), s.gid(), s.mode(), 0);
        }
        for (SysvIpcState.MessageQueue q : ipc.queues()) {
            if (plan.keptQueues().contains(q.id())) {
                continue;
            }
            create(remote, SysvIpc.Kind.MSG, q.id(), q.key(), "msgget", SyscallNumbers.MSGGET, q.key(),
                    SysvIpc.IPC_CREAT | SysvIpc.IPC_EXCL | CREATE_MODE);
            long limit = SysvIpc.queueLimit(q.id());
            try {
                SysvIpc.setOwner(SysvIpc.Kind.MSG, q.id(), q.uid(), q.gid(), q.mode(),
                        q.maxBytes() == limit ? 0 : q.maxBytes());
            } catch (SysvIpc.IpcException e) {
                throw new RestoreException("SysV message queue " + SysvIpcPlan.describe(q.key(), q.id()) + " held up to "
                        + q.maxBytes() + " bytes; this host's default is " + limit + " and raising it (msg_qbytes)"
                        + " was refused (" + e.getMessage() + "; above msgmnb it needs CAP_SYS_RESOURCE)", e);
            }
            for (SysvIpcState.QueuedMessage m : q.messages()) {
                if (8L + m.text().length <= SCRATCH_BYTES) { // the husk sends: it is the last sender, as it was
                    ByteBuffer b = ByteBuffer.allocate(8 + m.text().length).order(ByteOrder.LITTLE_ENDIAN);
                    b.putLong(m.type()).put(m.text());
                    mem.write(scratch, b.array());
                    remote.call("msgsnd to queue " + q.id(), SyscallNumbers.MSGSND, q.id(), scratch, m.text().length,
                            SysvIpc.IPC_NOWAIT);
                } else {
                    SysvIpc.send(q.id(), m.type(), m.text());
                }
            }
        }
    }

    /**
     * The get call in the husk, with the namespace's next id set to the image's id just before;
     * anything else coming up (another process's object made in between) is removed and refused.
     */
    private static void create(RemoteSyscalls remote, SysvIpc.Kind kind, int id, int key, String call, int nr,
                               long... args) {
        long got;
        synchronized (NEXT_ID) {
            SysvIpc.setNextId(kind, id);
            got = remote.raw(nr, args);
        }
        if (got < 0 && got > -4096) {
            throw new RestoreException("making SysV " + kind.label() + " " + SysvIpcPlan.describe(key, id)
                    + " again failed: " + call + " returned errno " + (-got)
                    + (got == -17 ? " (the key was taken meanwhile)" : ""));
        }
        if (got != id) {
            SysvIpc.remove(kind, (int) got);
            throw new RestoreException("making SysV " + kind.label() + " " + SysvIpcPlan.describe(key, id)
                    + " again gave id " + got + " (another object was made at the same moment); try again");
        }
    }

    private static byte[] read(Function<FileRef, Path> contents, SysvIpcState.SharedSegment s) {
        try {
            byte[] bytes = Files.readAllBytes(contents.apply(s.content()));
            if (bytes.length != s.size()) {
                throw new RestoreException("the stored contents of SysV segment " + s.id() + " are " + bytes.length
                        + " bytes, not its " + s.size());
            }
            return bytes;
        } catch (IOException e) {
            throw new RestoreException("cannot read the stored contents of SysV segment " + s.id() + ": "
                    + e.getMessage(), e);
        }
    }

    /** shmat at {@code at}, then the unmapped holes and other protections the process had. */
    private static void attach(RemoteSyscalls remote, SysvIpcState.SharedSegment s, long at, List<MemoryArea> all) {
        long span = (s.size() + PAGE - 1) & -PAGE;
        List<MemoryArea> parts = new ArrayList<>(all.stream()
                .filter(a -> a.kind() == MemoryArea.Kind.SYSV_SHM && a.start() >= at && a.end() <= at + span)
                .sorted(Comparator.comparingLong(MemoryArea::start)).toList());
        boolean writable = parts.stream().anyMatch(MemoryArea::writable);
        boolean executable = parts.stream().anyMatch(MemoryArea::executable);
        int flags = (writable ? 0 : SysvIpc.SHM_RDONLY) | (executable ? SysvIpc.SHM_EXEC : 0);
        long got = remote.call("shmat of SysV segment " + s.id() + " at 0x" + Long.toHexString(at),
                SyscallNumbers.SHMAT, s.id(), at, flags);
        if (got != at) {
            throw new RestoreException("SysV segment " + s.id() + " was attached at 0x" + Long.toHexString(got)
                    + ", not at 0x" + Long.toHexString(at));
        }
        int prot = Mman.PROT_READ | (writable ? Mman.PROT_WRITE : 0) | (executable ? Mman.PROT_EXEC : 0);
        long cursor = at;
        for (MemoryArea a : parts) {
            if (a.start() > cursor) {
                remote.call("munmap of a hole in SysV segment " + s.id(), SyscallNumbers.MUNMAP, cursor,
                        a.start() - cursor);
            }
            if (Mman.prot(a.perms()) != prot) {
                remote.call("mprotect of SysV segment " + s.id(), SyscallNumbers.MPROTECT, a.start(), a.length(),
                        Mman.prot(a.perms()));
            }
            io.cryostash.restore.memory.MemoryRestore.applySettings(remote, a);
            cursor = a.end();
        }
        if (cursor < at + span) {
            remote.call("munmap of the end of SysV segment " + s.id(), SyscallNumbers.MUNMAP, cursor, at + span - cursor);
        }
    }
}
