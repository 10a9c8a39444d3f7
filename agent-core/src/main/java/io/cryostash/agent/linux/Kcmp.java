// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import com.sun.jna.LastErrorException;

/**
 * kcmp(2) on descriptors: whether two descriptor numbers (of one process or two) name the same
 * open file, the way dup() makes them. The kernel orders files too, so a sort by it groups them.
 * Also whether two tasks share one address space (threads, or a vfork child before it execs).
 */
public final class Kcmp {
    private static final int KCMP_FILE = 0;
    private static final int KCMP_VM = 1;

    private Kcmp() {
    }

    /** Whether the two tasks share their memory (one mm). */
    public static boolean sameMemory(int pid1, int pid2) {
        try {
            return (long) LibC.INSTANCE.syscall(SyscallNumbers.KCMP, pid1, pid2, KCMP_VM, 0L, 0L) == 0;
        } catch (LastErrorException e) {
            throw new TraceeException(pid1, "kcmp of the memory of " + pid1 + " and " + pid2, e.getErrorCode());
        }
    }

    /** Negative, zero or positive as the file behind {@code fd1} sorts before, equals or after that of {@code fd2}. */
    public static int compareFiles(int pid1, int fd1, int pid2, int fd2) {
        try {
            long r = (long) LibC.INSTANCE.syscall(SyscallNumbers.KCMP, pid1, pid2, KCMP_FILE, (long) fd1, (long) fd2);
            return r == 0 ? 0 : r == 1 ? -1 : r == 2 ? 1 : 2;
        } catch (LastErrorException e) {
            throw new TraceeException(pid1, "kcmp of descriptors " + fd1 + " and " + fd2, e.getErrorCode());
        }
    }
}
