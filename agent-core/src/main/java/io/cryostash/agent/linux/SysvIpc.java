// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * SysV IPC calls the agent makes itself, in its own IPC namespace (a process of another one is
 * refused before anything here runs): reading a segment, a semaphore set or a queue without
 * changing what its program sees, and setting owner and mode again on objects restore made.
 * All on x86_64's IPC_64 layouts (the only ones its system calls know).
 */
public final class SysvIpc {
    public static final int IPC_RMID = 0;
    public static final int IPC_SET = 1;
    public static final int IPC_STAT = 2;
    public static final int IPC_CREAT = 01000;
    public static final int IPC_EXCL = 02000;
    public static final int IPC_NOWAIT = 04000;
    public static final int SHM_RDONLY = 010000;
    public static final int SHM_EXEC = 0100000;
    public static final int GETPID = 11;
    public static final int GETALL = 13;
    public static final int SETALL = 17;
    public static final int MSG_COPY = 040000;
    public static final int ENOMSG = 42;
    /** struct ipc64_perm: key, uid, gid, cuid, cgid, mode, seq, pads, two unused longs. */
    private static final int PERM_SIZE = 48;
    private static final int PERM_UID = 4;
    private static final int PERM_GID = 8;
    private static final int PERM_MODE = 20;
    /** msg_qbytes in struct msqid64_ds: after perm, stime, rtime, ctime, cbytes, qnum. */
    private static final int MSG_QBYTES = PERM_SIZE + 40;
    private static final int DS_SIZE = 256;

    private static final LibC LIBC = LibC.INSTANCE;

    /** The three kinds of objects, each with its own ids, next-id knob and control call. */
    public enum Kind {
        SHM("shm", SyscallNumbers.SHMCTL), SEM("sem", SyscallNumbers.SEMCTL), MSG("msg", SyscallNumbers.MSGCTL);

        private final String name;
        private final int ctl;

        Kind(String name, int ctl) {
            this.name = name;
            this.ctl = ctl;
        }

        /** /proc/sys/kernel/{shm,sem,msg}_next_id: the id the namespace's next get call takes. */
        public Path nextIdFile() {
            return Path.of("/proc/sys/kernel/" + name + "_next_id");
        }

        public String label() {
            return name;
        }
    }

    private SysvIpc() {
    }

    /** The bytes of segment {@code id}, read through an attachment of the agent's own (read-only). */
    public static byte[] readSegment(int id, long size) {
        long at = attach(id, SHM_RDONLY);
        try {
            return new Pointer(at).getByteArray(0, Math.toIntExact(size));
        } finally {
            detach(at);
        }
    }

    /** Writes {@code bytes} at the start of segment {@code id}. */
    public static void writeSegment(int id, byte[] bytes) {
        long at = attach(id, 0);
        try {
            new Pointer(at).write(0, bytes, 0, bytes.length);
        } finally {
            detach(at);
        }
    }

    private static long attach(int id, int flags) {
        try {
            return LIBC.syscall(SyscallNumbers.SHMAT, id, 0L, flags);
        } catch (LastErrorException e) {
            throw new IpcException("shmat of shm id " + id, e.getErrorCode());
        }
    }

    private static void detach(long at) {
        try {
            LIBC.syscall(SyscallNumbers.SHMDT, at);
        } catch (LastErrorException e) {
            throw new IpcException("shmdt", e.getErrorCode());
        }
    }

    /** The pid of the process that last operated on each semaphore of set {@code id} (0: none). */
    public static int[] lastPids(int id, int nsems) {
        int[] out = new int[nsems];
        for (int i = 0; i < nsems; i++) {
            try {
                out[i] = (int) LIBC.syscall(SyscallNumbers.SEMCTL, id, i, GETPID, 0L);
            } catch (LastErrorException e) {
                throw new IpcException("semctl(GETPID) of sem id " + id, e.getErrorCode());
            }
        }
        return out;
    }

    /** Every semaphore's value (GETALL). */
    public static int[] values(int id, int nsems) {
        try (Memory m = new Memory(Math.max(2, 2L * nsems))) {
            LIBC.syscall(SyscallNumbers.SEMCTL, id, 0, GETALL, m);
            int[] out = new int[nsems];
            for (int i = 0; i < nsems; i++) {
                out[i] = m.getShort(2L * i) & 0xffff;
            }
            return out;
        } catch (LastErrorException e) {
            throw new IpcException("semctl(GETALL) of sem id " + id, e.getErrorCode());
        }
    }

    /** Sets every semaphore's value (SETALL); the agent becomes each one's last pid. */
    public static void setValues(int id, int[] values) {
        try (Memory m = new Memory(Math.max(2, 2L * values.length))) {
            for (int i = 0; i < values.length; i++) {
                m.setShort(2L * i, (short) values[i]);
            }
            LIBC.syscall(SyscallNumbers.SEMCTL, id, 0, SETALL, m);
        } catch (LastErrorException e) {
            throw new IpcException("semctl(SETALL) of sem id " + id, e.getErrorCode());
        }
    }

    /** Queues a message without waiting (a full queue fails with EAGAIN); the agent becomes its last sender. */
    public static void send(int id, long type, byte[] text) {
        try (Memory m = new Memory(8L + Math.max(1, text.length))) {
            m.setLong(0, type);
            m.write(8, text, 0, text.length);
            LIBC.syscall(SyscallNumbers.MSGSND, id, m, (long) text.length, IPC_NOWAIT);
        } catch (LastErrorException e) {
            throw new IpcException("msgsnd to msg id " + id, e.getErrorCode());
        }
    }

    /** One queued message: its type and its bytes. */
    public record Message(long type, byte[] text) {
    }

    /**
     * A copy of the message at {@code index} of queue {@code id} (msgrcv with MSG_COPY: nothing is
     * taken, the queue's last receiver stays who it was), or null past the last one.
     *
     * @param maxBytes room for the text (a message longer than this fails with E2BIG)
     */
    public static Message copyMessage(int id, int index, int maxBytes) {
        try (Memory m = new Memory(8L + maxBytes)) {
            long n = LIBC.syscall(SyscallNumbers.MSGRCV, id, m, (long) maxBytes, (long) index, IPC_NOWAIT | MSG_COPY);
            return new Message(m.getLong(0), m.getByteArray(8, (int) n));
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENOMSG) {
                return null;
            }
            throw new IpcException("msgrcv(MSG_COPY) of message " + index + " of msg id " + id, e.getErrorCode());
        }
    }

    /**
     * Sets owner and permission bits (IPC_SET) of an object; for a queue also its byte limit
     * when {@code queueBytes} is positive (above msgmnb that needs CAP_SYS_RESOURCE).
     */
    public static void setOwner(Kind kind, int id, int uid, int gid, int mode, long queueBytes) {
        try (Memory ds = new Memory(DS_SIZE)) {
            ds.clear();
            control(kind, id, IPC_STAT, ds);
            ds.setInt(PERM_UID, uid);
            ds.setInt(PERM_GID, gid);
            ds.setInt(PERM_MODE, mode & 0777);
            if (kind == Kind.MSG && queueBytes > 0) {
                ds.setLong(MSG_QBYTES, queueBytes);
            }
            control(kind, id, IPC_SET, ds);
        } catch (LastErrorException e) {
            throw new IpcException("IPC_SET of " + kind.label() + " id " + id, e.getErrorCode());
        }
    }

    /** A queue's msg_qbytes: how many bytes it may hold (IPC_STAT). */
    public static long queueLimit(int id) {
        try (Memory ds = new Memory(DS_SIZE)) {
            control(Kind.MSG, id, IPC_STAT, ds);
            return ds.getLong(MSG_QBYTES);
        } catch (LastErrorException e) {
            throw new IpcException("IPC_STAT of msg id " + id, e.getErrorCode());
        }
    }

    /** Removes an object (IPC_RMID); a segment still attached goes once the last process detaches. */
    public static void remove(Kind kind, int id) {
        try {
            control(kind, id, IPC_RMID, Pointer.NULL);
        } catch (LastErrorException e) {
            throw new IpcException("IPC_RMID of " + kind.label() + " id " + id, e.getErrorCode());
        }
    }

    /** shmctl and msgctl take (id, cmd, buf), semctl (id, semnum, cmd, arg). */
    private static void control(Kind kind, int id, int cmd, Pointer buf) {
        if (kind == Kind.SEM) {
            LIBC.syscall(kind.ctl, id, 0, cmd, buf);
        } else {
            LIBC.syscall(kind.ctl, id, cmd, buf);
        }
    }

    /** Makes the namespace's next get call of {@code kind} take {@code id} (the kernel resets it after). */
    public static void setNextId(Kind kind, int id) {
        try {
            Files.writeString(kind.nextIdFile(), Integer.toString(id), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + kind.nextIdFile() + ": " + e.getMessage(), e);
        }
    }

    /** A failed IPC call, with its errno. */
    public static final class IpcException extends RuntimeException {
        private final int errno;

        public IpcException(String what, int errno) {
            super(what + " failed: errno " + errno);
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
