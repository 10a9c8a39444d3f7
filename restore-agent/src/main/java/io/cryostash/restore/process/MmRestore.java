// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.RemoteSyscalls;
import io.cryostash.schema.image.MmLayout;

/**
 * prctl(PR_SET_MM, PR_SET_MM_MAP): code, data, brk, stack, argument and environment bounds,
 * auxv and the exe link in one call. It must run after the husk's own executable is unmapped
 * (the kernel refuses to replace the exe link while the old file is still mapped) and before
 * the image's areas are mapped (the image may map that same file).
 */
public final class MmRestore {
    static final int PR_SET_MM = 35;
    static final int PR_SET_MM_MAP = 14;
    /** sizeof(struct prctl_mm_map): 11 addresses, the auxv pointer, auxv_size and exe_fd. */
    static final int MM_MAP_SIZE = 104;
    /** mm->saved_auxv holds AT_VECTOR_SIZE (2 * (2 + 20 + 1 + 3)... ) words; the kernel checks. */
    static final int MAX_AUXV = 416;
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;

    private MmRestore() {
    }

    /**
     * @param exePath the file to link as exe: the image's, or the stored copy standing in for it
     * @param scratch tracee address of at least 3 KiB of writable scratch space
     */
    public static void restore(RemoteSyscalls remote, ProcessMemory mem, MmLayout mm, String exePath, long scratch) {
        byte[] auxv = mm.auxv();
        int auxvLen = Math.min(auxv.length, MAX_AUXV) & ~15;
        long auxvAt = scratch + 512;
        mem.write(auxvAt, java.util.Arrays.copyOf(auxv, auxvLen));
        long pathAt = scratch + 2048;
        mem.writeString(pathAt, exePath);
        long exeFd = remote.call("open " + exePath, SyscallNumbers.OPEN, pathAt, O_RDONLY | O_CLOEXEC, 0);
        try {
            ByteBuffer b = ByteBuffer.allocate(MM_MAP_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(mm.startCode()).putLong(mm.endCode()).putLong(mm.startData()).putLong(mm.endData())
                    .putLong(mm.startBrk()).putLong(mm.brk()).putLong(mm.startStack()).putLong(mm.argStart())
                    .putLong(mm.argEnd()).putLong(mm.envStart()).putLong(mm.envEnd()).putLong(auxvAt)
                    .putInt(auxvLen).putInt((int) exeFd);
            mem.write(scratch, b.array());
            remote.call("prctl(PR_SET_MM_MAP)", SyscallNumbers.PRCTL, PR_SET_MM, PR_SET_MM_MAP, scratch,
                    MM_MAP_SIZE, 0);
        } finally {
            remote.raw(SyscallNumbers.CLOSE, exeFd);
        }
    }
}
