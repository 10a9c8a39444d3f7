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

    /** Reaps {@code pid} if it is our child and has exited; harmless otherwise. */
}
