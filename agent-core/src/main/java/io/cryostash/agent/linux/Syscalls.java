// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/** System calls the agent makes on its own behalf (not inside a tracee). */
public final class Syscalls {
    private static final LibC LIBC = LibC.INSTANCE;

    private Syscalls() {
    }

    public static void kill(int pid, int signal) {
        try {
            LIBC.kill(pid, signal);
        } catch (LastErrorException e) {
            throw new TraceeException(pid, "kill(" + signal + ")", e.getErrorCode());
        }
    }

    /** True when {@code pid} exists (kill with signal 0). */
    public static boolean exists(int pid) {
        try {
            LIBC.kill(pid, 0);
            return true;
        } catch (LastErrorException e) {
            return e.getErrorCode() != Errno.ESRCH;
        }
    }

    public static int geteuid() {
        return LIBC.geteuid();
    }

    /** get_robust_list(pid): {head, length}. */
    public static long[] robustList(int pid) {
        try (Memory head = new Memory(8); Memory len = new Memory(8)) {
            LIBC.syscall(SyscallNumbers.GET_ROBUST_LIST, pid, head, len);
            return new long[] {head.getLong(0), len.getLong(0)};
        } catch (LastErrorException e) {
            throw new TraceeException(pid, "get_robust_list", e.getErrorCode());
        }
    }

    /** ioprio_get / ioprio_set (x86_64), IOPRIO_WHO_PROCESS with who 0: the calling thread. */
    private static final long IOPRIO_GET = 252;
    private static final long IOPRIO_SET = 251;
    private static final int IOPRIO_WHO_PROCESS = 1;
    /** IOPRIO_CLASS_RT, level 4: served before every best-effort request by the I/O schedulers that rank classes. */
    public static final int IOPRIO_REALTIME = (1 << 13) | 4;

    /** The calling thread's I/O priority (ioprio_get). */
    public static int ioPriority() {
        return (int) LIBC.syscall(IOPRIO_GET, IOPRIO_WHO_PROCESS, 0);
    }

    /**
     * Sets the calling thread's I/O priority; false when the kernel refuses (the real-time class
     * needs CAP_SYS_ADMIN or CAP_SYS_NICE).
     */
    public static boolean setIoPriority(int priority) {
        try {
            LIBC.syscall(IOPRIO_SET, IOPRIO_WHO_PROCESS, 0, priority);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }
}
