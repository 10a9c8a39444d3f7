// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.ParallelSyscalls;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.Credentials;

/**
 * The image's user and groups. File-system ids go first, so that every file the restored
 * process gets is opened with its own rights, not root's; the real, effective and saved ids go
 * last, after everything that still needs privilege.
 */
public final class CredentialsRestore {
    static final int PR_SET_DUMPABLE = 4;

    private CredentialsRestore() {
    }

    public static void fileSystemIds(RemoteSyscalls remote, ProcessMemory mem, Credentials c, long scratch) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(4, c.groups().size() * 4)).order(ByteOrder.LITTLE_ENDIAN);
        c.groups().forEach(b::putInt);
        mem.write(scratch, b.array());
        remote.call("setgroups", SyscallNumbers.SETGROUPS, c.groups().size(), scratch);
        remote.raw(SyscallNumbers.SETFSGID, c.fsgid());
        remote.raw(SyscallNumbers.SETFSUID, c.fsuid());
        // setfs[ug]id report the previous id, never an error: ask again to be sure it took
        long fsgid = remote.raw(SyscallNumbers.SETFSGID, -1);
        long fsuid = remote.raw(SyscallNumbers.SETFSUID, -1);
        if (fsgid != c.fsgid() || fsuid != c.fsuid()) {
            throw new RestoreException("could not switch file-system ids to " + c.fsuid() + ":" + c.fsgid());
        }
    }

    /**
     * setresgid, setresuid and the file-system ids in every thread: the kernel keeps credentials
     * per thread (glibc's setuid() makes each thread switch), so each call runs in all of them
     * at once; dumpable, which is per process, last, from the main thread. When the image's real,
     * effective and saved ids are the husk's own (a root process restored by root), every thread
     * has them already, and its file-system ids and groups too (cloned from the main thread after
     * {@link #fileSystemIds}): the calls, a single step in every thread each, are left out.
     *
     * @param huskUids the husk's real, effective and saved uid as it was spawned ({@code ProcStatus.uids()})
     * @param huskGids the same for its gids
     */
    public static void allIds(Ptrace ptrace, List<Integer> tids, long syscallInsn, RemoteSyscalls main, Credentials c,
                              int[] huskUids, int[] huskGids) {
        if (huskUids[0] == c.uid() && huskUids[1] == c.euid() && huskUids[2] == c.suid()
                && huskGids[0] == c.gid() && huskGids[1] == c.egid() && huskGids[2] == c.sgid()) {
            main.call("prctl(PR_SET_DUMPABLE)", SyscallNumbers.PRCTL, PR_SET_DUMPABLE, 1);
            return;
        }
        ParallelSyscalls.call(ptrace, tids, syscallInsn, "setresgid", SyscallNumbers.SETRESGID,
                i -> new long[] {c.gid(), c.egid(), c.sgid()});
        ParallelSyscalls.call(ptrace, tids, syscallInsn, "setresuid", SyscallNumbers.SETRESUID,
                i -> new long[] {c.uid(), c.euid(), c.suid()});
        // setfs[ug]id answer the previous id, never an error
        ParallelSyscalls.call(ptrace, tids, syscallInsn, "setfsgid", SyscallNumbers.SETFSGID, i -> new long[] {c.fsgid()});
        ParallelSyscalls.call(ptrace, tids, syscallInsn, "setfsuid", SyscallNumbers.SETFSUID, i -> new long[] {c.fsuid()});
        // changing ids clears the dumpable flag; the original process was dumpable
        main.call("prctl(PR_SET_DUMPABLE)", SyscallNumbers.PRCTL, PR_SET_DUMPABLE, 1);
    }
}
