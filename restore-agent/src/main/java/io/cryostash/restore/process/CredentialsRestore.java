// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
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

    public static void allIds(RemoteSyscalls remote, Credentials c) {
        remote.call("setresgid", SyscallNumbers.SETRESGID, c.gid(), c.egid(), c.sgid());
        remote.call("setresuid", SyscallNumbers.SETRESUID, c.uid(), c.euid(), c.suid());
        remote.raw(SyscallNumbers.SETFSGID, c.fsgid());
        remote.raw(SyscallNumbers.SETFSUID, c.fsuid());
        // changing ids clears the dumpable flag; the original process was dumpable
        remote.call("prctl(PR_SET_DUMPABLE)", SyscallNumbers.PRCTL, PR_SET_DUMPABLE, 1);
    }
}
