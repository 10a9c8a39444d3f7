// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import com.sun.jna.LastErrorException;

/**
 * A pidfd on another process, to take copies of its descriptors (pidfd_getfd, Linux 5.6+):
 * the agent then reads a socket's addresses, options and queues, or writes into a restored
 * socket, with ordinary calls on its own copy instead of remote system calls in the tracee.
 * Needs ptrace access to the process (root here).
 */
public final class Pidfd implements AutoCloseable {
    private final int pid;
    private final int fd;

    public Pidfd(int pid) {
        this.pid = pid;
        try {
            this.fd = (int) LibC.INSTANCE.syscall(SyscallNumbers.PIDFD_OPEN, pid, 0);
        } catch (LastErrorException e) {
            throw new TraceeException(pid, "pidfd_open", e.getErrorCode());
        }
    }

    /** A copy of the process's descriptor {@code targetFd}: the same open file, close-on-exec here. */
    public LocalFd take(int targetFd) {
        try {
            return LocalFd.of((int) LibC.INSTANCE.syscall(SyscallNumbers.PIDFD_GETFD, fd, targetFd, 0));
        } catch (LastErrorException e) {
            throw new TraceeException(pid, "pidfd_getfd of descriptor " + targetFd, e.getErrorCode());
        }
    }

    @Override
    public void close() {
        try {
            LibC.INSTANCE.close(fd);
        } catch (LastErrorException ignored) {
            // released either way
        }
    }
}
