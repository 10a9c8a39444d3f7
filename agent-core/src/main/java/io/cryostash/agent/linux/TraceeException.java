// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

/** A ptrace or remote-syscall step failed on a tracee; the message names pid, step and errno. */
public class TraceeException extends RuntimeException {
    private final int pid;
    private final int errno;

    public TraceeException(int pid, String step, int errno) {
        super(message(pid, step, errno));
        this.pid = pid;
        this.errno = errno;
    }

    public TraceeException(int pid, String message) {
        super("pid " + pid + ": " + message);
        this.pid = pid;
        this.errno = 0;
    }

    private static String message(int pid, String step, int errno) {
        String m = "pid " + pid + ": " + step + " failed";
        if (errno == Errno.ESRCH) {
            return m + " (ESRCH: the process exited or is no longer stopped under our trace)";
        }
        if (errno == Errno.EPERM) {
            return m + " (EPERM: not permitted; run as root or check yama ptrace_scope)";
        }
        return errno == 0 ? m : m + " (errno " + errno + ")";
    }

    public int pid() {
        return pid;
    }

    public int errno() {
        return errno;
    }
}
